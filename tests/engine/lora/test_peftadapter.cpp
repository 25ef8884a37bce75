// PEFT adapter folders: adapter_config.json fields and tensor keys/shapes for
// GPT-2 (Conv1D, fan_in_fan_out) and Llama; save → load gives the same logits;
// folders written by PEFT itself (extra config keys, f16, ".default" names)
// load; bad folders fail with messages naming the file and tensor.
#include "engine/io/safetensorstorch.h"
#include "engine/lora/peftadapter.h"
#include "tests/engine/model/tinymodel.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QTemporaryDir>

#include <functional>
#include <QTest>

namespace {

engine::CausalLm tinyModel(const QString &dir, const std::string &type)
{
    const std::string config = tiny::configJson(type);
    tiny::writeModel(dir, config, tiny::randomWeights(config, 3));
    return engine::loadCausalLm(dir.toStdString());
}

void randomizeAdapters(const engine::LoraModel &lora, std::uint64_t seed = 11)
{
    torch::NoGradGuard noGrad;
    torch::manual_seed(seed);
    for (auto &[name, tensor] : lora.namedParameters()) {
        const torch::Tensor noise = torch::randn_like(tensor) * 0.05;
        tensor.copy_(name.find("magnitude") != std::string::npos ? tensor + noise : noise);
    }
}

// Rounds the adapter tensors through `dtype`, as saving in that dtype does.
void roundAdapters(const engine::LoraModel &lora, torch::Dtype dtype)
{
    torch::NoGradGuard noGrad;
    for (auto &[name, tensor] : lora.namedParameters())
        tensor.copy_(tensor.to(dtype).to(torch::kFloat32));
}

nlohmann::json readJson(const QString &path)
{
    return nlohmann::json::parse(engine::readFile(path.toStdString()));
}

std::vector<std::int64_t> shapeOf(const std::map<std::string, torch::Tensor> &tensors, const std::string &key)
{
    const auto it = tensors.find(key);
    if (it == tensors.end())
        return {};
    return std::vector<std::int64_t>(it->second.sizes().begin(), it->second.sizes().end());
}

QString errorOf(const std::function<void()> &fn)
{
    try {
        fn();
    } catch (const engine::Error &e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

} // namespace

class TestPeftAdapter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void gpt2KeysAndShapes()
    {
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir.filePath("base"), "gpt2");
        engine::LoraConfig config;
        config.rank = 4;
        config.alpha = 8;
        engine::LoraModel lora = engine::LoraModel::inject(model, config, 1);
        engine::savePeftAdapter(dir.filePath("adapter").toStdString(), lora, {"/models/gpt2", "gpt2"});

        const auto tensors = engine::loadSafetensors(dir.filePath("adapter/adapter_model.safetensors").toStdString());
        QCOMPARE(tensors.size(), std::size_t(2 * 2)); // c_attn A and B in 2 layers
        // Conv1D c_attn: weight [in=32, out=96]; PEFT's A is [r, in], B is [out, r].
        QCOMPARE(shapeOf(tensors, "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"),
                 (std::vector<std::int64_t>{4, 32}));
        QCOMPARE(shapeOf(tensors, "base_model.model.transformer.h.1.attn.c_attn.lora_B.weight"),
                 (std::vector<std::int64_t>{96, 4}));
        const auto json = readJson(dir.filePath("adapter/adapter_config.json"));
        QCOMPARE(json["fan_in_fan_out"], nlohmann::json(true));
        QCOMPARE(json["target_modules"], nlohmann::json({"c_attn"}));
        QCOMPARE(json["peft_type"], nlohmann::json("LORA"));
        QCOMPARE(json["task_type"], nlohmann::json("CAUSAL_LM"));
        QCOMPARE(json["r"], nlohmann::json(4));
        QCOMPARE(json["lora_alpha"], nlohmann::json(8));
        QCOMPARE(json["bias"], nlohmann::json("none"));
        QCOMPARE(json["base_model_name_or_path"], nlohmann::json("/models/gpt2"));
        QVERIFY(json["modules_to_save"].is_null());
        QCOMPARE(json["inference_mode"], nlohmann::json(true));
    }

    void llamaKeysAndShapes()
    {
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir.filePath("base"), "llama");
        engine::LoraConfig config;
        config.targetMode = engine::TargetMode::AllLinear;
        config.rank = 4;
        config.rankPattern = {{"down_proj", 2}};
        config.rsLora = true;
        config.dora = true;
        engine::LoraModel lora = engine::LoraModel::inject(model, config, 1);
        engine::savePeftAdapter(dir.filePath("adapter").toStdString(), lora, {"", "llama"}, engine::TensorDtype::BF16);

        const auto file = engine::SafetensorsFile::open(dir.filePath("adapter/adapter_model.safetensors").toStdString());
        QCOMPARE(file->tensors().size(), std::size_t(2 * 7 * 3)); // 7 projections × (A, B, magnitude) × 2 layers
        const auto tensors = engine::loadSafetensors(file->path());
        const std::string q = "base_model.model.model.layers.0.self_attn.";
        QCOMPARE(shapeOf(tensors, q + "q_proj.lora_A.weight"), (std::vector<std::int64_t>{4, 32}));
        QCOMPARE(shapeOf(tensors, q + "q_proj.lora_B.weight"), (std::vector<std::int64_t>{32, 4}));
        QCOMPARE(shapeOf(tensors, q + "k_proj.lora_B.weight"), (std::vector<std::int64_t>{16, 4})); // 2 kv heads × 8
        QCOMPARE(shapeOf(tensors, q + "v_proj.lora_magnitude_vector"), (std::vector<std::int64_t>{16}));
        QCOMPARE(shapeOf(tensors, "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"),
                 (std::vector<std::int64_t>{2, 48}));
        QCOMPARE(tensors.at(q + "q_proj.lora_A.weight").scalar_type(), torch::kBFloat16);
        const auto json = readJson(dir.filePath("adapter/adapter_config.json"));
        QCOMPARE(json["fan_in_fan_out"], nlohmann::json(false));
        QCOMPARE(json["target_modules"],
                 nlohmann::json({"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}));
        QCOMPARE(json["rank_pattern"], nlohmann::json({{"down_proj", 2}}));
        QCOMPARE(json["use_rslora"], nlohmann::json(true));
        QCOMPARE(json["use_dora"], nlohmann::json(true));
        QVERIFY(json["base_model_name_or_path"].is_null());
    }

    void saveThenLoadGivesIdenticalLogits_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("lora");
        QTest::addColumn<QString>("dtype");
        QTest::newRow("gpt2 f32") << "gpt2" << R"({"rank": 4})" << "f32";
        QTest::newRow("gpt2 all-linear dora f16")
            << "gpt2" << R"({"rank": 4, "target_mode": "all-linear", "dora": true})" << "f16";
        QTest::newRow("llama rslora patterns bf16")
            << "llama"
            << R"({"rank": 4, "rslora": true, "target_modules": ["q_proj", "k_proj", "down_proj"],
                  "rank_pattern": {"down_proj": 2}, "alpha_pattern": {"k_proj": 3}, "layers_to_transform": [1]})"
            << "bf16";
        QTest::newRow("qwen2 regex f32") << "qwen2" << R"({"target_mode": "regex", "target_regex": ".*\\.(q|o)_proj"})"
                                         << "f32";
        QTest::newRow("llama pissa f32") << "llama" << R"({"rank": 2, "init": "pissa"})" << "f32";
    }

    void saveThenLoadGivesIdenticalLogits()
    {
        QFETCH(QString, type);
        QFETCH(QString, lora);
        QFETCH(QString, dtype);
        QTemporaryDir dir;
        const auto config = engine::LoraConfig::fromJson(lora.toStdString());
        QVERIFY2(config.isOk(), config.message().c_str());
        const auto storage = engine::parseTensorDtype(dtype.toStdString());
        QVERIFY(storage.isOk());

        engine::CausalLm trained = tinyModel(dir.filePath("base"), type.toStdString());
        engine::LoraModel adapters = engine::LoraModel::inject(trained, config.value(), 3);
        randomizeAdapters(adapters);
        if (dtype != "f32")
            roundAdapters(adapters, dtype == "f16" ? torch::kFloat16 : torch::kBFloat16);
        adapters.setTraining(false);
        const torch::Tensor ids = tiny::randomIds(2, 9, trained.config().vocabSize);
        const torch::Tensor expected = trained.forward(ids);
        engine::savePeftAdapter(dir.filePath("adapter").toStdString(), adapters, {"", type.toStdString()},
                                storage.value());

        engine::CausalLm fresh = engine::loadCausalLm(dir.filePath("base").toStdString());
        engine::LoraModel loaded = engine::loadPeftAdapter(dir.filePath("adapter").toStdString(), fresh);
        QCOMPARE(loaded.matrices().size(), adapters.matrices().size());
        // The same f32 values through the same code: bit-identical logits.
        QVERIFY(torch::equal(fresh.forward(ids), expected));
    }

    void loadsAFolderWrittenByPeft()
    {
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir.filePath("base"), "llama");
        // adapter_config.json as PEFT 0.15 writes it (keys Lorafit ignores included).
        const std::string config = R"({"alpha_pattern": {}, "auto_mapping": null, "base_model_name_or_path": "meta/x",
            "bias": "none", "corda_config": null, "eva_config": null, "exclude_modules": null, "fan_in_fan_out": false,
            "inference_mode": true, "init_lora_weights": true, "layer_replication": null, "layers_pattern": null,
            "layers_to_transform": null, "loftq_config": {}, "lora_alpha": 16, "lora_bias": false,
            "lora_dropout": 0.1, "megatron_config": null, "megatron_core": "megatron.core", "modules_to_save": null,
            "peft_type": "LORA", "r": 2, "rank_pattern": {}, "revision": null, "target_modules": ["v_proj", "q_proj"],
            "task_type": "CAUSAL_LM", "trainable_token_indices": null, "use_dora": false, "use_rslora": false})";
        QDir().mkpath(dir.filePath("peft"));
        engine::writeFileAtomically(dir.filePath("peft/adapter_config.json").toStdString(), config);
        // f16 tensors; one pair still carries PEFT's in-memory ".default" adapter name.
        torch::manual_seed(5);
        std::vector<std::pair<std::string, torch::Tensor>> tensors;
        std::map<std::string, torch::Tensor> byModule;
        for (int layer = 0; layer < 2; ++layer) {
            for (const std::string proj : {"q_proj", "v_proj"}) {
                const std::string module = "model.layers." + std::to_string(layer) + ".self_attn." + proj;
                const std::int64_t out = proj == "q_proj" ? 32 : 16;
                const torch::Tensor a = (torch::randn({2, 32}) * 0.1).to(torch::kFloat16);
                const torch::Tensor b = (torch::randn({out, 2}) * 0.1).to(torch::kFloat16);
                const std::string infix = layer == 1 && proj == "v_proj" ? ".default" : "";
                tensors.emplace_back("base_model.model." + module + ".lora_A" + infix + ".weight", a);
                tensors.emplace_back("base_model.model." + module + ".lora_B" + infix + ".weight", b);
                byModule[module] = torch::matmul(b.to(torch::kFloat32), a.to(torch::kFloat32)) * (16.0 / 2.0); // (O, I)
            }
        }
        engine::saveSafetensors(dir.filePath("peft/adapter_model.safetensors").toStdString(), tensors);

        const torch::Tensor ids = tiny::randomIds(1, 7, model.config().vocabSize);
        engine::LoraModel lora = engine::loadPeftAdapter(dir.filePath("peft").toStdString(), model);
        QCOMPARE(lora.matrices().size(), std::size_t(4));
        const torch::Tensor withAdapter = model.forward(ids);
        lora.detach();
        // Independent reference: add s·B·A to the base weights by hand.
        {
            torch::NoGradGuard noGrad;
            for (const auto &linear : model.linearModules())
                if (byModule.count(linear.name))
                    linear.module->weight.add_(byModule[linear.name]);
        }
        const torch::Tensor reference = model.forward(ids);
        const double error = ((withAdapter - reference).abs().max() / reference.abs().max()).item<double>();
        QVERIFY2(error < 1e-5, qPrintable(QString::number(error))); // f32 rounding of two summation orders
        engine::PeftAdapterInfo info;
        QVERIFY(engine::readPeftAdapterConfig(dir.filePath("peft").toStdString(), &info).isOk());
        QCOMPARE(info.baseModel, std::string("meta/x"));
    }

    void badFoldersNameTheProblem()
    {
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir.filePath("base"), "llama");
        engine::LoraConfig config;
        config.rank = 2;
        engine::LoraModel lora = engine::LoraModel::inject(model, config, 1);
        const std::string folder = dir.filePath("adapter").toStdString();
        engine::savePeftAdapter(folder, lora, {"", "llama"});
        lora.detach();

        // Another rank in the config than in the file.
        auto json = readJson(dir.filePath("adapter/adapter_config.json"));
        json["r"] = 3;
        engine::writeFileAtomically(folder + "/adapter_config.json", json.dump());
        QString message = errorOf([&] { engine::loadPeftAdapter(folder, model); });
        QVERIFY2(message.contains("adapter_model.safetensors") && message.contains("q_proj.lora_A.weight")
                     && message.contains("shape"), qPrintable(message));
        QVERIFY(!model.linearModules().front().module->adapter()); // nothing left attached

        // Weights of a module the config does not target.
        json["r"] = 2;
        json["target_modules"] = {"q_proj"};
        engine::writeFileAtomically(folder + "/adapter_config.json", json.dump());
        message = errorOf([&] { engine::loadPeftAdapter(folder, model); });
        QVERIFY2(message.contains("v_proj.lora_A.weight") && message.contains("belongs to no adapted module"),
                 qPrintable(message));

        json["target_modules"] = {"c_attn"};
        engine::writeFileAtomically(folder + "/adapter_config.json", json.dump());
        message = errorOf([&] { engine::loadPeftAdapter(folder, model); });
        QVERIFY2(message.contains("adapter_config.json") && message.contains("'c_attn' matched no module"),
                 qPrintable(message));

        json["peft_type"] = "PREFIX_TUNING";
        engine::writeFileAtomically(folder + "/adapter_config.json", json.dump());
        message = errorOf([&] { engine::loadPeftAdapter(folder, model); });
        QVERIFY2(message.contains("peft_type") && message.contains("hint"), qPrintable(message));

        json["peft_type"] = "LORA";
        json["modules_to_save"] = {"lm_head"};
        engine::writeFileAtomically(folder + "/adapter_config.json", json.dump());
        message = errorOf([&] { engine::loadPeftAdapter(folder, model); });
        QVERIFY2(message.contains("modules_to_save"), qPrintable(message));

        message = errorOf([&] { engine::loadPeftAdapter(dir.filePath("nowhere").toStdString(), model); });
        QVERIFY2(message.contains("has no adapter_config.json"), qPrintable(message));

        // q8_0 is not a PEFT dtype: refused before anything is written.
        lora = engine::LoraModel::inject(model, config, 1);
        message = errorOf([&] {
            engine::savePeftAdapter(dir.filePath("q8").toStdString(), lora, {}, engine::TensorDtype::Q8_0);
        });
        QVERIFY2(message.contains("q8_0"), qPrintable(message));
        QVERIFY(!QDir(dir.filePath("q8")).exists());
    }

    void configRoundTrip()
    {
        engine::LoraConfig config;
        config.rank = 16;
        config.alpha = 7.5;
        config.dropout = 0.1;
        config.rsLora = true;
        config.dora = true;
        config.init = engine::LoraInit::Gaussian;
        config.targetModules = {"q_proj", "o_proj"};
        config.layersToTransform = {0, 3};
        config.rankPattern = {{"o_proj", 4}};
        config.alphaPattern = {{"q_proj", 32}};
        const std::string text = engine::peftAdapterConfigJson(config, {"base", "llama"});
        const auto back = engine::parsePeftAdapterConfig(text, "adapter_config.json");
        QVERIFY2(back.isOk(), back.message().c_str());
        QCOMPARE(back->toJson(), config.toJson());

        // Defaults per family when no targets are set; all-linear and regex as strings.
        engine::LoraConfig defaults;
        auto json = nlohmann::json::parse(engine::peftAdapterConfigJson(defaults, {"", "gpt2"}));
        QCOMPARE(json["target_modules"], nlohmann::json({"c_attn"}));
        defaults.targetMode = engine::TargetMode::Regex;
        defaults.targetRegex = ".*q_proj";
        json = nlohmann::json::parse(engine::peftAdapterConfigJson(defaults, {"", "llama"}));
        QCOMPARE(json["target_modules"], nlohmann::json(".*q_proj"));
        const auto regex = engine::parsePeftAdapterConfig(json.dump(), "x");
        QVERIFY(regex.isOk());
        QCOMPARE(regex->targetMode, engine::TargetMode::Regex);
    }
};

QTEST_GUILESS_MAIN(TestPeftAdapter)
#include "test_peftadapter.moc"

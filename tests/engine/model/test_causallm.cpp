// The networks against an independent plain-PyTorch reference
// (tests/reference/ref_causal_lm.py), plus causality, KV-cache decoding,
// sharded and hub-style folders, Hugging Face names, the Linear adapter hook
// and load errors. Tiny random models are written by the test itself.
#include "engine/core/atomicfile.h"
#include "engine/io/safetensorstorch.h"
#include "engine/model/causallm.h"
#include "engine/model/linearspec.h"
#include "tests/engine/model/tinymodel.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <filesystem>

namespace {

// Relative agreement: max |a - b| / max |b|.
double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return (actual - expected).abs().max().item<double>() / expected.abs().max().item<double>();
}

const char *const kLlama3Rope = R"({"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
    "high_freq_factor": 4.0, "original_max_position_embeddings": 64}, "head_dim": 16})";

// Phi-3 LongRoPE on 12 tokens: long factors beyond 8 positions, attention factor from 64 / 8.
const char *const kPhi3LongRope = R"({"original_max_position_embeddings": 8, "rope_scaling": {"type": "longrope",
    "short_factor": [1.0, 1.5, 2.0, 3.0], "long_factor": [2.0, 4.0, 8.0, 16.0]}})";

std::string loadError(const QString &dir)
{
    try {
        engine::loadCausalLm(dir.toStdString());
    } catch (const engine::Error &e) {
        return e.what();
    }
    return {};
}

tiny::NamedTensors withoutTensor(tiny::NamedTensors weights, const std::string &name)
{
    weights.erase(
        std::remove_if(weights.begin(), weights.end(), [&](const auto &w) { return w.first == name; }), weights.end());
    return weights;
}

// tinymodel.cpp's gemma defaults already set windows, soft-capping and the query scalar.
void addGemmaAndPhi3Rows()
{
    QTest::newRow("gemma tied geglu") << "gemma"
                                      << "{}" << int(torch::kFloat32);
    QTest::newRow("gemma exact gelu bf16") << "gemma"
                                           << R"({"hidden_act": "gelu"})" << int(torch::kBFloat16);
    QTest::newRow("gemma2 softcaps window") << "gemma2"
                                            << "{}" << int(torch::kFloat32);
    QTest::newRow("gemma2 no caps layer_types")
        << "gemma2"
        << R"({"attn_logit_softcapping": null, "final_logit_softcapping": null,
             "layer_types": ["full_attention", "sliding_attention"]})"
        << int(torch::kFloat32);
    QTest::newRow("gemma3_text local rope qk-norm") << "gemma3_text"
                                                    << "{}" << int(torch::kFloat32);
    QTest::newRow("gemma3_text linear global rope softcaps")
        << "gemma3_text"
        << R"({"rope_scaling": {"rope_type": "linear", "factor": 8.0}, "attn_logit_softcapping": 4.0,
             "final_logit_softcapping": 6.0, "num_hidden_layers": 3, "sliding_window_pattern": 3})"
        << int(torch::kFloat32);
    QTest::newRow("phi3 fused") << "phi3"
                                << "{}" << int(torch::kFloat32);
    QTest::newRow("phi3 partial rotary window tied")
        << "phi3"
        << R"({"partial_rotary_factor": 0.5, "sliding_window": 5, "tie_word_embeddings": true,
             "head_dim": 12, "num_key_value_heads": 4})"
        << int(torch::kFloat32);
    QTest::newRow("phi3 longrope long factors") << "phi3" << kPhi3LongRope << int(torch::kFloat32);
    QTest::newRow("phi3 longrope short factors (su)")
        << "phi3"
        << QString(kPhi3LongRope).replace("\"longrope\"", "\"su\"").replace("\"original_max_position_embeddings\": 8",
               "\"original_max_position_embeddings\": 16")
        << int(torch::kFloat32);
}

} // namespace

class TestCausalLm : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(2); }

    void matchesReference_data()
    {
        QTest::addColumn<QString>("modelType");
        QTest::addColumn<QString>("extra");
        QTest::addColumn<int>("dtype");
        QTest::newRow("gpt2 tied") << "gpt2"
                                   << "{}" << int(torch::kFloat32);
        QTest::newRow("gpt2 untied lm_head")
            << "gpt2"
            << R"({"tie_word_embeddings": false, "n_inner": 40})" << int(torch::kFloat32);
        QTest::newRow("llama gqa llama3-rope") << "llama" << kLlama3Rope << int(torch::kFloat32);
        QTest::newRow("llama rope_parameters v5")
            << "llama"
            << R"({"rope_theta": null, "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                 "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}})"
            << int(torch::kFloat32);
        QTest::newRow("llama linear-rope biases head_dim tied")
            << "llama"
            << R"({"rope_scaling": {"type": "linear", "factor": 2.0}, "attention_bias": true, "mlp_bias": true,
                 "head_dim": 12, "num_key_value_heads": 4, "tie_word_embeddings": true})"
            << int(torch::kFloat32);
        QTest::newRow("mistral sliding window") << "mistral"
                                                << R"({"sliding_window": 5})" << int(torch::kFloat32);
        QTest::newRow("qwen2 f16 tied") << "qwen2"
                                        << R"({"tie_word_embeddings": true})" << int(torch::kHalf);
        QTest::newRow("qwen3 bf16") << "qwen3"
                                    << R"({"head_dim": 16, "num_key_value_heads": 1})" << int(torch::kBFloat16);
        addGemmaAndPhi3Rows();
    }


    void matchesReference()
    {
        QFETCH(QString, modelType);
        QFETCH(QString, extra);
        QFETCH(int, dtype);
        QTemporaryDir dir;
        const std::string config = tiny::configJson(modelType.toStdString(), extra.toStdString());
        tiny::writeModel(dir.path(), config, tiny::randomWeights(config), static_cast<torch::ScalarType>(dtype));
        const engine::CausalLm model = engine::loadCausalLm(dir.path().toStdString());
        const torch::Tensor ids = tiny::randomIds(2, 12, model.config().vocabSize);
        QString skip;
        const torch::Tensor expected = tiny::referenceLogits(dir.path(), ids, skip);
        if (!expected.defined())
            QSKIP(qPrintable(skip));
        const torch::Tensor logits = model.forward(ids); // (B, T, V)
        QCOMPARE(logits.sizes(), expected.sizes());
        const double error = relativeError(logits, expected);
        qInfo("relative error against the reference: %.3g", error);
        QVERIFY2(error <= 1e-5, qPrintable(QStringLiteral("relative error %1").arg(error)));
        QVERIFY(expected.abs().max().item<double>() > 0.1); // logits are not trivially small
    }

    void laterTokensDoNotChangeEarlierLogits_data()
    {
        QTest::addColumn<QString>("modelType");
        QTest::addColumn<QString>("extra");
        QTest::newRow("gpt2") << "gpt2"
                              << "{}";
        QTest::newRow("llama") << "llama" << kLlama3Rope;
        QTest::newRow("mistral window") << "mistral"
                                        << R"({"sliding_window": 3})";
        QTest::newRow("qwen3") << "qwen3"
                               << R"({"head_dim": 8})";
        QTest::newRow("gemma2 window 3") << "gemma2"
                                         << R"({"sliding_window": 3})";
        QTest::newRow("gemma3_text") << "gemma3_text"
                                     << R"({"sliding_window": 3})";
        QTest::newRow("phi3 partial rotary") << "phi3"
                                             << R"({"partial_rotary_factor": 0.5, "sliding_window": 3})";
    }

    void laterTokensDoNotChangeEarlierLogits()
    {
        QFETCH(QString, modelType);
        QFETCH(QString, extra);
        QTemporaryDir dir;
        const std::string config = tiny::configJson(modelType.toStdString(), extra.toStdString());
        tiny::writeModel(dir.path(), config, tiny::randomWeights(config));
        const engine::CausalLm model = engine::loadCausalLm(dir.path().toStdString());
        const torch::Tensor ids = tiny::randomIds(1, 10, model.config().vocabSize);
        torch::Tensor changed = ids.clone();
        changed[0][7] = (changed[0][7].item<std::int64_t>() + 1) % model.config().vocabSize;
        const torch::Tensor a = model.forward(ids), b = model.forward(changed); // (1, 10, V)
        QVERIFY(torch::allclose(a.slice(1, 0, 7), b.slice(1, 0, 7), 0, 1e-6));
        QVERIFY(!torch::allclose(a.slice(1, 7), b.slice(1, 7), 0, 1e-3));
    }

    void kvCacheDecodingEqualsFullForward_data() { laterTokensDoNotChangeEarlierLogits_data(); }

    void kvCacheDecodingEqualsFullForward()
    {
        QFETCH(QString, modelType);
        QFETCH(QString, extra);
        QTemporaryDir dir;
        const std::string config = tiny::configJson(modelType.toStdString(), extra.toStdString());
        tiny::writeModel(dir.path(), config, tiny::randomWeights(config));
        const engine::CausalLm model = engine::loadCausalLm(dir.path().toStdString());
        const torch::Tensor ids = tiny::randomIds(2, 11, model.config().vocabSize);
        const torch::Tensor full = model.forward(ids); // (B, T, V)
        engine::KvCache cache = model.makeCache();
        std::vector<torch::Tensor> pieces { model.forward(ids.slice(1, 0, 4), &cache, 0) }; // prompt
        for (std::int64_t t = 4; t < ids.size(1); ++t)
            pieces.push_back(model.forward(ids.slice(1, t, t + 1), &cache, t)); // one token at a time
        QCOMPARE(cache.length(), ids.size(1));
        const double error = relativeError(torch::cat(pieces, 1), full);
        QVERIFY2(error <= 1e-5, qPrintable(QStringLiteral("relative error %1").arg(error)));
    }

    void cacheAndIdsAreChecked()
    {
        QTemporaryDir dir;
        const std::string config = tiny::configJson("llama");
        tiny::writeModel(dir.path(), config, tiny::randomWeights(config));
        const engine::CausalLm model = engine::loadCausalLm(dir.path().toStdString());
        engine::KvCache cache = model.makeCache();
        QVERIFY_THROWS_EXCEPTION(engine::Error, model.forward(torch::zeros({ 1, 2 }, torch::kInt64), &cache, 3));
        QVERIFY_THROWS_EXCEPTION(engine::Error, model.forward(torch::full({ 1, 2 }, 61, torch::kInt64)));
        QVERIFY_THROWS_EXCEPTION(engine::Error, model.forward(torch::zeros({ 1, 2 }, torch::kInt32)));
    }

    void shardedCopyLoadsIdentically()
    {
        QTemporaryDir single, sharded;
        const std::string config = tiny::configJson("qwen2");
        const tiny::NamedTensors weights = tiny::randomWeights(config);
        tiny::writeModel(single.path(), config, weights);
        engine::writeFileAtomically((sharded.path() + "/config.json").toStdString(), config);
        const auto files = engine::saveSafetensorsSharded(sharded.path().toStdString(), weights, 16 * 1024);
        QVERIFY(files.size() >= 4); // three or more shards plus the index
        QCOMPARE(files.back(), std::string("model.safetensors.index.json"));
        const engine::CausalLm a = engine::loadCausalLm(single.path().toStdString());
        const engine::CausalLm b = engine::loadCausalLm(sharded.path().toStdString());
        const torch::Tensor ids = tiny::randomIds(1, 9, a.config().vocabSize);
        QVERIFY(torch::equal(a.forward(ids), b.forward(ids)));
    }

    void hubGpt2NamesWithoutPrefixLoad()
    {
        QTemporaryDir prefixed, hub;
        const std::string config = tiny::configJson("gpt2");
        const tiny::NamedTensors weights = tiny::randomWeights(config);
        tiny::writeModel(prefixed.path(), config, weights);
        tiny::NamedTensors hubWeights;
        for (const auto &[name, tensor] : weights)
            hubWeights.emplace_back(name.substr(std::string("transformer.").size()), tensor);
        for (int layer = 0; layer < 2; ++layer) { // the causal-mask buffers of the original checkpoint
            const std::string prefix = "h." + std::to_string(layer) + ".attn.";
            hubWeights.emplace_back(prefix + "bias", torch::ones({ 1, 1, 24, 24 }).tril());
            hubWeights.emplace_back(prefix + "masked_bias", torch::tensor(-1e4));
        }
        tiny::writeModel(hub.path(), config, hubWeights);
        const engine::CausalLm a = engine::loadCausalLm(prefixed.path().toStdString());
        const engine::CausalLm b = engine::loadCausalLm(hub.path().toStdString());
        QVERIFY(b.unusedTensors().empty());
        const torch::Tensor ids = tiny::randomIds(1, 8, a.config().vocabSize);
        QVERIFY(torch::equal(a.forward(ids), b.forward(ids)));
    }

    void parametersHaveHuggingFaceNamesAndAreFrozen_data()
    {
        QTest::addColumn<QString>("modelType");
        QTest::addColumn<QString>("extra");
        QTest::addColumn<QStringList>("expected");
        QTest::addColumn<QStringList>("absent");
        QTest::newRow("gpt2") << "gpt2"
                              << "{}"
                              << QStringList { "transformer.wte.weight", "transformer.wpe.weight",
                                     "transformer.h.0.attn.c_attn.weight", "transformer.h.1.mlp.c_proj.bias",
                                     "transformer.ln_f.bias" }
                              << QStringList { "lm_head.weight" };
        QTest::newRow("llama") << "llama"
                               << "{}"
                               << QStringList { "model.embed_tokens.weight", "model.layers.1.self_attn.q_proj.weight",
                                      "model.layers.0.mlp.down_proj.weight",
                                      "model.layers.0.post_attention_layernorm.weight", "model.norm.weight",
                                      "lm_head.weight" }
                               << QStringList { "model.layers.0.self_attn.q_proj.bias" };
        QTest::newRow("qwen2") << "qwen2"
                               << R"({"tie_word_embeddings": true})"
                               << QStringList { "model.layers.0.self_attn.q_proj.bias",
                                      "model.layers.0.self_attn.v_proj.bias" }
                               << QStringList { "model.layers.0.self_attn.o_proj.bias", "lm_head.weight" };
        QTest::newRow("gemma2") << "gemma2"
                                << "{}"
                                << QStringList { "model.layers.0.pre_feedforward_layernorm.weight",
                                       "model.layers.1.post_feedforward_layernorm.weight",
                                       "model.layers.0.post_attention_layernorm.weight", "model.norm.weight" }
                                << QStringList { "lm_head.weight", "model.layers.0.self_attn.q_norm.weight" };
        QTest::newRow("gemma3_text") << "gemma3_text"
                                     << "{}"
                                     << QStringList { "model.layers.0.self_attn.q_norm.weight",
                                            "model.layers.1.self_attn.k_norm.weight" }
                                     << QStringList { "lm_head.weight" };
        QTest::newRow("phi3") << "phi3"
                              << "{}"
                              << QStringList { "model.layers.0.self_attn.qkv_proj.weight",
                                     "model.layers.1.mlp.gate_up_proj.weight", "model.layers.0.self_attn.o_proj.weight",
                                     "model.layers.0.mlp.down_proj.weight", "lm_head.weight" }
                              << QStringList { "model.layers.0.self_attn.q_proj.weight",
                                     "model.layers.0.mlp.gate_proj.weight" };
        QTest::newRow("qwen3") << "qwen3"
                               << R"({"head_dim": 8})"
                               << QStringList { "model.layers.1.self_attn.q_norm.weight",
                                      "model.layers.1.self_attn.k_norm.weight" }
                               << QStringList { "model.layers.0.self_attn.q_proj.bias" };
    }

    void parametersHaveHuggingFaceNamesAndAreFrozen()
    {
        QFETCH(QString, modelType);
        QFETCH(QString, extra);
        QFETCH(QStringList, expected);
        QFETCH(QStringList, absent);
        QTemporaryDir dir;
        const std::string config = tiny::configJson(modelType.toStdString(), extra.toStdString());
        tiny::writeModel(dir.path(), config, tiny::randomWeights(config));
        const engine::CausalLm model = engine::loadCausalLm(dir.path().toStdString());
        QStringList names;
        for (const auto &item : model.module().named_parameters(true)) {
            names << QString::fromStdString(item.key());
            QVERIFY(!item.value().requires_grad());
        }
        for (const QString &name : expected)
            QVERIFY2(names.contains(name), qPrintable(name));
        for (const QString &name : absent)
            QVERIFY2(!names.contains(name), qPrintable(name));
        QCOMPARE(names.removeDuplicates(), 0);
    }

    void linearModulesMatchTheConfigSpecs_data() { laterTokensDoNotChangeEarlierLogits_data(); }

    void linearModulesMatchTheConfigSpecs()
    {
        QFETCH(QString, modelType);
        QFETCH(QString, extra);
        QTemporaryDir dir;
        const std::string config = tiny::configJson(modelType.toStdString(), extra.toStdString());
        tiny::writeModel(dir.path(), config, tiny::randomWeights(config));
        const engine::CausalLm model = engine::loadCausalLm(dir.path().toStdString());
        const auto linears = model.linearModules();
        const auto specs = engine::linearSpecs(model.config());
        QCOMPARE(linears.size(), specs.size());
        for (std::size_t i = 0; i < specs.size(); ++i) {
            QCOMPARE(linears[i].name, specs[i].name);
            QCOMPARE(linears[i].layer, specs[i].layer);
            QCOMPARE(linears[i].module->inFeatures(), specs[i].inFeatures);
            QCOMPARE(linears[i].module->outFeatures(), specs[i].outFeatures);
            QCOMPARE(linears[i].module->hasBias(), specs[i].bias);
            QCOMPARE(linears[i].module->isConv1d(), specs[i].conv1d);
            QCOMPARE(linears[i].module->weightOutIn().sizes(),
                (std::vector<std::int64_t> { specs[i].outFeatures, specs[i].inFeatures }));
        }
    }

    void adapterChangesTheProjectionOutput()
    {
        struct AddOne : engine::LinearAdapter
        {
            torch::Tensor apply(const torch::Tensor &x, const torch::Tensor &baseOut) override
            {
                lastInput = x;
                return baseOut + 1.0;
            }
            torch::Tensor lastInput;
        };
        QTemporaryDir dir;
        const std::string config = tiny::configJson("llama");
        tiny::writeModel(dir.path(), config, tiny::randomWeights(config));
        const engine::CausalLm model = engine::loadCausalLm(dir.path().toStdString());
        const torch::Tensor ids = tiny::randomIds(1, 5, model.config().vocabSize);
        const torch::Tensor before = model.forward(ids);
        engine::Linear head = model.linearModules().back().module;
        auto adapter = std::make_shared<AddOne>();
        head->setAdapter(adapter);
        QVERIFY(torch::allclose(model.forward(ids), before + 1.0, 0, 1e-5));
        QCOMPARE(adapter->lastInput.sizes(), (std::vector<std::int64_t> { 1, 5, 32 }));
        head->setAdapter(nullptr);
        QVERIFY(torch::equal(model.forward(ids), before));
    }

    // A multimodal gemma3 folder: text_config, weights under language_model.model.*
    // (or transformers 4.52+'s model.language_model.*), a vision tower that is ignored.
    void gemma3MultimodalFolderLoadsItsTextPart_data()
    {
        QTest::addColumn<QString>("prefix");
        QTest::newRow("language_model.model.") << "language_model.model.";
        QTest::newRow("model.language_model.") << "model.language_model.";
    }

    void gemma3MultimodalFolderLoadsItsTextPart()
    {
        QFETCH(QString, prefix);
        QTemporaryDir textDir, fullDir;
        const std::string textConfig = tiny::configJson("gemma3_text");
        const tiny::NamedTensors weights = tiny::randomWeights(textConfig);
        tiny::writeModel(textDir.path(), textConfig, weights);
        nlohmann::json full = { { "model_type", "gemma3" }, { "architectures", { "Gemma3ForConditionalGeneration" } },
            { "text_config", nlohmann::json::parse(textConfig) },
            { "vision_config", { { "model_type", "siglip_vision_model" }, { "hidden_size", 16 } } } };
        full["text_config"].erase("bos_token_id");
        full["bos_token_id"] = 5;
        tiny::NamedTensors renamed;
        for (const auto &[name, tensor] : weights)
            renamed.emplace_back(prefix.toStdString() + name.substr(6), tensor); // drop "model."
        renamed.emplace_back("vision_tower.vision_model.embeddings.patch_embedding.weight", torch::ones({ 4, 3 }));
        renamed.emplace_back("multi_modal_projector.mm_input_projection_weight", torch::ones({ 16, 32 }));
        tiny::writeModel(fullDir.path(), full.dump(), renamed);
        const engine::CausalLm text = engine::loadCausalLm(textDir.path().toStdString());
        const engine::CausalLm model = engine::loadCausalLm(fullDir.path().toStdString());
        QVERIFY(model.config().textOfMultimodal);
        QCOMPARE(model.config().modelType, std::string("gemma3"));
        QCOMPARE(model.config().bosTokenId, std::int64_t(5));
        QCOMPARE(model.config().eosTokenIds, std::vector<std::int64_t> { 2 }); // from text_config
        QVERIFY(model.unusedTensors().empty());
        const torch::Tensor ids = tiny::randomIds(2, 9, model.config().vocabSize);
        QVERIFY(torch::equal(model.forward(ids), text.forward(ids)));
        QString skip;
        const torch::Tensor expected = tiny::referenceLogits(fullDir.path(), ids, skip); // the reference reads it too
        if (!expected.defined())
            QSKIP(qPrintable(skip));
        QVERIFY(relativeError(model.forward(ids), expected) <= 1e-5);
    }

    void loadErrorsNameTheProblem_data()
    {
        QTest::addColumn<QString>("caseName");
        QTest::addColumn<QStringList>("fragments");
        QTest::newRow("missing tensor") << "missing" << QStringList { "model.layers.1.mlp.up_proj.weight", "missing" };
        QTest::newRow("missing lm_head") << "nohead" << QStringList { "lm_head.weight", "tie_word_embeddings" };
        QTest::newRow("shape disagrees with config")
            << "shape"
            << QStringList { "model.layers.0.self_attn.k_proj.weight", "[8, 32]", "[16, 32]", "config.json" };
        QTest::newRow("unsupported model_type")
            << "bert" << QStringList { "bert", "gpt2, llama, mistral, qwen2, qwen3" };
        QTest::newRow("pickle only") << "pickle" << QStringList { "pytorch_model.bin", "safetensors only" };
        QTest::newRow("no config") << "noconfig" << QStringList { "config.json" };
    }

    void loadErrorsNameTheProblem()
    {
        QFETCH(QString, caseName);
        QFETCH(QStringList, fragments);
        QTemporaryDir dir;
        const std::string config = tiny::configJson("llama");
        tiny::NamedTensors weights = tiny::randomWeights(config);
        if (caseName == "missing") {
            tiny::writeModel(dir.path(), config, withoutTensor(weights, "model.layers.1.mlp.up_proj.weight"));
        } else if (caseName == "nohead") {
            tiny::writeModel(dir.path(), config, withoutTensor(weights, "lm_head.weight"));
        } else if (caseName == "shape") {
            for (auto &[name, tensor] : weights)
                if (name == "model.layers.0.self_attn.k_proj.weight")
                    tensor = torch::zeros({ 8, 32 });
            tiny::writeModel(dir.path(), config, weights);
        } else if (caseName == "bert") {
            tiny::writeModel(dir.path(), R"({"model_type": "bert", "hidden_size": 32})", weights);
        } else if (caseName == "pickle") {
            engine::writeFileAtomically((dir.path() + "/config.json").toStdString(), config);
            engine::writeFileAtomically((dir.path() + "/pytorch_model.bin").toStdString(), "PK\x03\x04 not opened");
        } else if (caseName == "noconfig") {
            tiny::writeModel(dir.path(), config, weights);
            std::filesystem::remove((dir.path() + "/config.json").toStdString());
        }
        const QString message = QString::fromStdString(loadError(dir.path()));
        QVERIFY2(!message.isEmpty(), "loading should have failed");
        for (const QString &fragment : fragments)
            QVERIFY2(message.contains(fragment), qPrintable(message + " lacks " + fragment));
        QVERIFY2(message.contains("hint:"), qPrintable(message));
    }
};

QTEST_GUILESS_MAIN(TestCausalLm)
#include "test_causallm.moc"

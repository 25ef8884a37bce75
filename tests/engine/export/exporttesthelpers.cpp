#include "exporttesthelpers.h"

#include "engine/core/atomicfile.h"
#include "engine/lora/peftadapter.h"
#include "engine/model/causallm.h"
#include "tests/engine/model/tinymodel.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>

#include <random>
#include <stdexcept>

namespace exporttest {

void writeBase(const QString &dir, const std::string &type, bool chatTemplate, const std::string &extraConfig)
{
    const std::string config = tiny::configJson(type, extraConfig);
    tiny::writeModel(dir, config, tiny::randomWeights(config, 3));
    // The exporters copy these files; their content only has to survive the copy.
    engine::writeFileAtomically((dir + "/tokenizer.json").toStdString(),
                                R"({"version": "1.0", "model": {"type": "BPE", "vocab": {}, "merges": []}})");
    nlohmann::json tokenizerConfig = {{"eos_token", "</s>"}, {"bos_token", "<s>"}};
    if (chatTemplate)
        tokenizerConfig["chat_template"] =
            "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}";
    engine::writeFileAtomically((dir + "/tokenizer_config.json").toStdString(), tokenizerConfig.dump(2));
    engine::writeFileAtomically((dir + "/generation_config.json").toStdString(), R"({"do_sample": false})");
}

QString demoModel()
{
    return QStringLiteral(LF_SOURCE_DIR "/resources/demo/model");
}

QString writeByteLevelBase(const QString &dir, const std::string &type, const std::string &extraConfig,
                           const QString &tokenizerFolder, std::int64_t vocab)
{
    nlohmann::json config = nlohmann::json::parse(tiny::configJson(type, extraConfig));
    config["vocab_size"] = vocab;
    config["bos_token_id"] = nullptr; // the tokenizer's roles count
    config["eos_token_id"] = nullptr;
    config[type == "gpt2" ? "n_positions" : "max_position_embeddings"] = 96;
    const std::string text = config.dump(2);
    tiny::writeModel(dir, text, tiny::randomWeights(text, 5));
    const QString from = tokenizerFolder.isEmpty() ? demoModel() : tokenizerFolder;
    for (const char *file : {"tokenizer.json", "tokenizer_config.json"})
        QFile::copy(from + "/" + file, dir + "/" + file);
    return dir;
}

void randomizeAdapters(const engine::LoraModel &lora, std::uint64_t seed)
{
    torch::NoGradGuard noGrad;
    torch::manual_seed(seed);
    for (auto &[name, tensor] : lora.namedParameters()) {
        const torch::Tensor noise = torch::randn_like(tensor) * 0.08;
        tensor.copy_(name.find("magnitude") != std::string::npos ? tensor + noise : noise);
    }
}

QString writeCheckpoint(const QString &dir, const QString &baseDir, const std::string &loraJson, int step,
                        const std::string &datasetShape)
{
    const auto config = engine::LoraConfig::fromJson(loraJson);
    if (!config)
        throw std::runtime_error(config.message());
    engine::CausalLm model = engine::loadCausalLm(baseDir.toStdString());
    engine::LoraModel lora = engine::LoraModel::inject(model, config.value(), 9);
    randomizeAdapters(lora);
    const QString folder = dir + QStringLiteral("/checkpoint-%1").arg(step);
    const std::string base = QDir(baseDir).absolutePath().toStdString();
    engine::savePeftAdapter(folder.toStdString(), lora, {base, model.config().modelType});
    const nlohmann::json settings = {
        {"lorafit_settings", 1},
        {"sections",
         {{"model", {{"version", 1}, {"values", {{"path", base}}}}},
          {"dataset", {{"version", 1}, {"values", {{"train_path", "/data/chat.jsonl"}, {"shape", datasetShape}}}}},
          {"lora", {{"version", 1}, {"values", nlohmann::json::parse(loraJson)}}},
          {"optimizer", {{"version", 1}, {"values", {{"learning_rate", 2e-4}, {"loraplus_ratio", 16}}}}},
          {"training", {{"version", 1}, {"values", {{"max_steps", 100}}}}}}}};
    const nlohmann::json state = {{"step", step}, {"eval_loss", 2.5}, {"settings", settings}};
    engine::writeFileAtomically((folder + "/trainer_state.json").toStdString(), state.dump(2));
    engine::writeFileAtomically((folder + "/optimizer.safetensors").toStdString(), "not read by exports");
    return folder;
}

std::vector<engine::data::Batch> batches(std::int64_t vocab, std::uint64_t seed)
{
    std::mt19937 random(static_cast<std::mt19937::result_type>(seed));
    std::uniform_int_distribution<int> token(0, static_cast<int>(vocab) - 1);
    engine::data::Batch batch;
    batch.rows = 2;
    batch.columns = 11;
    for (int i = 0; i < batch.rows * batch.columns; ++i) {
        batch.inputIds.push_back(token(random));
        batch.labels.push_back(i % batch.columns == 0 ? engine::data::kIgnoreIndex : batch.inputIds.back());
    }
    return {batch};
}

torch::Tensor ids(const engine::data::Batch &batch)
{
    std::vector<std::int64_t> wide(batch.inputIds.begin(), batch.inputIds.end());
    return torch::tensor(wide, torch::kInt64).reshape({batch.rows, batch.columns});
}

double referenceLoss(const torch::Tensor &logits, const engine::data::Batch &batch)
{
    const torch::Tensor l = logits.to(torch::kFloat64);
    double total = 0.0;
    int counted = 0;
    for (int r = 0; r < batch.rows; ++r)
        for (int t = 0; t + 1 < batch.columns; ++t) {
            const int label = batch.labels[static_cast<std::size_t>(r * batch.columns + t + 1)];
            if (label == engine::data::kIgnoreIndex)
                continue;
            const torch::Tensor row = l[r][t];
            const double logSumExp = (row - row.max()).exp().sum().log().item<double>() + row.max().item<double>();
            total += logSumExp - row[label].item<double>();
            ++counted;
        }
    return total / counted;
}

} // namespace exporttest

#include "tests/engine/model/tinymodel.h"

#include "engine/core/atomicfile.h"
#include "engine/io/safetensorstorch.h"
#include "engine/model/causallm.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QProcess>

#include <stdexcept>

namespace tiny {

namespace {

using Json = nlohmann::json;

Json defaults(const std::string &modelType)
{
    if (modelType == "gpt2")
        return { { "model_type", "gpt2" }, { "architectures", { "GPT2LMHeadModel" } }, { "vocab_size", 53 },
            { "n_embd", 32 }, { "n_layer", 2 }, { "n_head", 4 }, { "n_positions", 24 }, { "n_inner", nullptr },
            { "activation_function", "gelu_new" }, { "layer_norm_epsilon", 1e-5 }, { "bos_token_id", 50 },
            { "eos_token_id", 50 } };
    Json config = { { "model_type", modelType }, { "vocab_size", 61 }, { "hidden_size", 32 },
        { "intermediate_size", 48 }, { "num_hidden_layers", 2 }, { "num_attention_heads", 4 },
        { "num_key_value_heads", 2 }, { "max_position_embeddings", 64 }, { "rms_norm_eps", 1e-6 },
        { "rope_theta", 10000.0 }, { "hidden_act", "silu" }, { "tie_word_embeddings", false }, { "bos_token_id", 1 },
        { "eos_token_id", 2 } };
    if (modelType.rfind("gemma", 0) != 0)
        return config;
    // Gemma: tied, head_dim 8, GeGLU; Gemma 2/3: a query scalar other than head_dim,
    // one sliding (window 4) and one global layer; Gemma 2: soft-capping small
    // enough to matter; Gemma 3: a local RoPE base other than the global one.
    config.erase("hidden_act");
    config.update({ { "head_dim", 8 }, { "tie_word_embeddings", true },
        { modelType == "gemma" ? "hidden_act" : "hidden_activation", "gelu_pytorch_tanh" } });
    if (modelType != "gemma")
        config.update({ { "query_pre_attn_scalar", 12 }, { "sliding_window", 4 } });
    if (modelType == "gemma2")
        config.update({ { "attn_logit_softcapping", 5.0 }, { "final_logit_softcapping", 3.0 } });
    if (modelType == "gemma3_text")
        config.update({ { "rope_local_base_freq", 100.0 }, { "sliding_window_pattern", 2 } });
    return config;
}

bool isNormWeight(const std::string &name)
{
    return name.find("norm.weight") != std::string::npos || name.find("ln_") != std::string::npos;
}

} // namespace

std::string configJson(const std::string &modelType, const std::string &extraJson)
{
    Json config = defaults(modelType);
    config.update(Json::parse(extraJson));
    return config.dump(2);
}

NamedTensors randomWeights(const std::string &configText, std::uint64_t seed)
{
    const auto config = engine::parseModelConfig(configText, "test config");
    if (!config)
        throw std::runtime_error(config.message());
    torch::manual_seed(seed);
    const auto net = engine::buildCausalLmNet(config.value());
    NamedTensors weights;
    for (const auto &item : net->named_parameters(true)) {
        const std::string &name = item.key();
        torch::Tensor value = torch::randn(item.value().sizes());
        if (isNormWeight(name)) // Gemma's norms scale by (1 + weight): stored weights centre on 0
            value = (config.value().normPlusOne ? 0.0 : 1.0) + 0.2 * value;
        else if (name.find("embed") != std::string::npos || name.find("wte") != std::string::npos
            || name.find("wpe") != std::string::npos)
            value = 0.5 * value;
        else
            value = 0.15 * value;
        weights.emplace_back(name, value);
    }
    return weights;
}

void writeModel(const QString &dir, const std::string &configText, const NamedTensors &weights, torch::ScalarType dtype)
{
    QDir().mkpath(dir);
    engine::writeFileAtomically((dir + QStringLiteral("/config.json")).toStdString(), configText);
    NamedTensors cast;
    for (const auto &[name, tensor] : weights)
        cast.emplace_back(name, tensor.to(dtype));
    engine::saveSafetensors((dir + QStringLiteral("/model.safetensors")).toStdString(), cast);
}

torch::Tensor referenceLogits(const QString &dir, const torch::Tensor &ids, QString &skipReason)
{
    const QString python = QStringLiteral("/usr/bin/python3");
    if (!QFile::exists(python)) {
        skipReason = QStringLiteral("/usr/bin/python3 is missing; install python3-torch to run the reference");
        return {};
    }
    static const bool hasTorch = [&] {
        QProcess probe;
        probe.start(python, { QStringLiteral("-c"), QStringLiteral("import torch") });
        return probe.waitForFinished(60000) && probe.exitCode() == 0;
    }();
    if (!hasTorch) {
        skipReason = QStringLiteral("/usr/bin/python3 has no torch; install python3-torch to run the reference");
        return {};
    }
    Json rows = Json::array();
    for (std::int64_t b = 0; b < ids.size(0); ++b) {
        Json row = Json::array();
        for (std::int64_t t = 0; t < ids.size(1); ++t)
            row.push_back(ids[b][t].item<std::int64_t>());
        rows.push_back(row);
    }
    engine::writeFileAtomically((dir + QStringLiteral("/ids.json")).toStdString(), rows.dump());
    QProcess script;
    script.start(python, { QStringLiteral(LF_SOURCE_DIR "/tests/reference/ref_causal_lm.py"), dir });
    if (!script.waitForFinished(120000) || script.exitCode() != 0)
        throw std::runtime_error("reference script failed: " + script.readAllStandardError().toStdString());
    return engine::loadSafetensors((dir + QStringLiteral("/ref_logits.safetensors")).toStdString())
        .at("logits")
        .clone();
}

torch::Tensor randomIds(std::int64_t batch, std::int64_t length, std::int64_t vocab, std::uint64_t seed)
{
    torch::manual_seed(seed);
    return torch::randint(0, vocab, { batch, length }, torch::kInt64);
}

} // namespace tiny

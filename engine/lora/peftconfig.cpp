#include "engine/lora/peftconfig.h"

#include "engine/core/atomicfile.h"
#include "engine/core/jsonreader.h"

#include <cmath>
#include <filesystem>

namespace engine {

namespace {

nlohmann::json alphaValue(double alpha)
{
    // Whole alphas as integers, as PEFT users write them ("lora_alpha": 16).
    if (std::floor(alpha) == alpha && std::fabs(alpha) < 1e15)
        return static_cast<std::int64_t>(alpha);
    return alpha;
}

nlohmann::json targetModulesValue(const LoraConfig &config, const PeftAdapterInfo &info)
{
    switch (config.targetMode) {
    case TargetMode::Regex: return config.targetRegex;
    case TargetMode::AllLinear: return "all-linear";
    case TargetMode::Suffixes: break;
    }
    if (!config.targetModules.empty())
        return config.targetModules;
    // PEFT's per-family defaults (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING).
    if (info.modelType == "phi3")
        return std::vector<std::string>{"qkv_proj"};
    return info.modelType == "gpt2" ? std::vector<std::string>{"c_attn"}
                                    : std::vector<std::string>{"q_proj", "v_proj"};
}

nlohmann::json initValue(LoraInit init)
{
    switch (init) {
    case LoraInit::Gaussian: return "gaussian";
    case LoraInit::Pissa: return "pissa";
    case LoraInit::Kaiming:
    case LoraInit::Reversed: return true; // weights are loaded over it; B=0 init is PEFT's default
    }
    return true;
}

void readTargets(const nlohmann::json &root, const std::string &source, LoraConfig &config)
{
    const auto it = root.find("target_modules");
    if (it == root.end() || it->is_null())
        return; // the family default
    if (it->is_string()) {
        const std::string text = it->get<std::string>();
        if (text == "all-linear") {
            config.targetMode = TargetMode::AllLinear;
        } else {
            config.targetMode = TargetMode::Regex;
            config.targetRegex = text;
        }
        return;
    }
    if (!it->is_array())
        throw Error(source + ": target_modules: expected a list of module names or a regex string, found "
                    + jsonTypeName(*it) + " (hint: e.g. [\"q_proj\", \"v_proj\"])");
    for (const auto &entry : *it) {
        if (!entry.is_string())
            throw Error(source + ": target_modules: every entry must be a string, found " + jsonTypeName(entry));
        config.targetModules.push_back(entry.get<std::string>());
    }
}

void readLayers(const nlohmann::json &root, const std::string &source, LoraConfig &config)
{
    const auto it = root.find("layers_to_transform");
    if (it == root.end() || it->is_null())
        return;
    if (it->is_number_integer()) {
        config.layersToTransform = {it->get<int>()};
        return;
    }
    JsonReader(root, source).read("layers_to_transform", config.layersToTransform);
}

void readInit(const nlohmann::json &root, const std::string &source, LoraConfig &config)
{
    const auto it = root.find("init_lora_weights");
    if (it == root.end() || it->is_null() || it->is_boolean())
        return;
    if (!it->is_string())
        throw Error(source + ": init_lora_weights: expected true, false or a method name, found " + jsonTypeName(*it));
    const std::string method = it->get<std::string>();
    if (method == "gaussian")
        config.init = LoraInit::Gaussian;
    else if (method == "pissa")
        config.init = LoraInit::Pissa;
    else if (method == "olora" || method == "loftq" || method == "corda" || method.rfind("pissa_niter_", 0) == 0)
        throw Error(source + ": init_lora_weights '" + method
                    + "' rewrites the base weights in a way Lorafit cannot reproduce (hint: convert the adapter to "
                      "plain LoRA with PEFT's path_initial_model_for_weight_conversion, or merge it with PEFT)");
    // Other methods ("eva", "orthogonal", ...) only choose starting values; the saved weights replace them.
}

// Options PEFT may carry that Lorafit cannot apply: refuse rather than load something else.
void rejectUnsupported(const nlohmann::json &root, const std::string &source)
{
    auto present = [&](const char *key) {
        const auto it = root.find(key);
        return it != root.end() && !it->is_null() && !(it->is_boolean() && !it->get<bool>())
            && !(it->is_array() && it->empty()) && !(it->is_object() && it->empty());
    };
    const std::string peftType = root.value("peft_type", std::string());
    if (peftType != "LORA")
        throw Error(source + ": peft_type: '" + peftType
                    + "' is not a LoRA adapter (hint: Lorafit reads PEFT adapters with \"peft_type\": \"LORA\")");
    if (present("task_type") && root["task_type"] != "CAUSAL_LM")
        throw Error(source + ": task_type: " + root["task_type"].dump()
                    + " is not supported (hint: Lorafit adapts causal language models, task_type \"CAUSAL_LM\")");
    if (present("bias") && root["bias"] != "none")
        throw Error(source + ": bias: " + root["bias"].dump()
                    + " trains base biases, which Lorafit does not load (hint: only \"bias\": \"none\" is supported)");
    for (const char *key : {"modules_to_save", "lora_bias", "exclude_modules", "trainable_token_indices",
                            "layer_replication", "target_parameters"})
        if (present(key))
            throw Error(source + ": " + key + ": " + root[key].dump()
                        + " is not supported by Lorafit (hint: only plain LoRA/DoRA adapters on linear projections "
                          "can be loaded; remove the option when training the adapter)");
}

} // namespace

std::string peftAdapterConfigJson(const LoraConfig &config, const PeftAdapterInfo &info)
{
    nlohmann::json j = {
        {"alpha_pattern", nlohmann::json::object()},
        {"auto_mapping", nullptr},
        {"base_model_name_or_path", info.baseModel.empty() ? nlohmann::json() : nlohmann::json(info.baseModel)},
        {"bias", "none"},
        {"fan_in_fan_out", info.modelType == "gpt2"},
        {"inference_mode", true},
        {"init_lora_weights", initValue(config.init)},
        {"layers_pattern", nullptr},
        {"layers_to_transform", nullptr},
        {"lora_alpha", alphaValue(config.alpha)},
        {"lora_dropout", config.dropout},
        {"modules_to_save", nullptr},
        {"peft_type", "LORA"},
        {"r", config.rank},
        {"rank_pattern", nlohmann::json::object()},
        {"revision", nullptr},
        {"target_modules", targetModulesValue(config, info)},
        {"task_type", "CAUSAL_LM"},
        {"use_dora", config.dora},
        {"use_rslora", config.rsLora},
    };
    for (const auto &[key, r] : config.rankPattern)
        j["rank_pattern"][key] = r;
    for (const auto &[key, a] : config.alphaPattern)
        j["alpha_pattern"][key] = alphaValue(a);
    if (!config.layersToTransform.empty())
        j["layers_to_transform"] = config.layersToTransform;
    return j.dump(2) + "\n";
}

Result<LoraConfig> parsePeftAdapterConfig(const std::string &json, const std::string &source, PeftAdapterInfo *info)
{
    return guard([&] {
        const nlohmann::json root = parseJsonObject(json, source);
        rejectUnsupported(root, source);
        JsonReader in(root, source);
        LoraConfig config;
        config.alpha = 8.0; // PEFT's defaults where a key is absent
        config.dropout = 0.0;
        in.read("r", config.rank);
        in.read("lora_alpha", config.alpha);
        in.read("lora_dropout", config.dropout);
        in.read("use_rslora", config.rsLora);
        in.read("use_dora", config.dora);
        in.read("rank_pattern", config.rankPattern);
        in.read("alpha_pattern", config.alphaPattern);
        readTargets(root, source, config);
        readLayers(root, source, config);
        readInit(root, source, config);
        if (info) {
            in.read("base_model_name_or_path", info->baseModel);
            info->modelType.clear();
        }
        if (Status s = config.validate(); !s)
            throw Error(source + ": " + s.message());
        return config;
    });
}

Result<LoraConfig> readPeftAdapterConfig(const std::string &folder, PeftAdapterInfo *info)
{
    const std::string path = (std::filesystem::path(folder) / kPeftConfigName).string();
    if (!std::filesystem::exists(path))
        return Status::failure("'" + folder + "' has no " + kPeftConfigName
                               + " (hint: choose a PEFT adapter folder or a Lorafit checkpoint folder)");
    Result<std::string> text = guard([&] { return readFile(path); });
    if (!text)
        return text.status();
    return parsePeftAdapterConfig(text.value(), path, info);
}

} // namespace engine

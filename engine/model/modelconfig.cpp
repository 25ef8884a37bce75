#include "engine/model/modelconfig.h"

#include "engine/core/atomicfile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>

namespace engine {

namespace {

using Json = nlohmann::json;

// Reads typed keys of one config object and names the file in every error.
class ConfigReader
{
public:
    ConfigReader(const Json &root, std::string source)
        : m_root(root)
        , m_source(std::move(source))
    { }

    bool has(const char *key) const { return m_root.contains(key) && !m_root.at(key).is_null(); }

    std::int64_t integer(const char *key, std::int64_t fallback) const
    {
        if (!has(key))
            return fallback;
        const Json &value = m_root.at(key);
        if (!value.is_number_integer())
            fail(key, "must be an integer, found " + value.dump());
        return value.get<std::int64_t>();
    }
    double number(const char *key, double fallback) const { return numberIn(m_root, key, fallback); }
    double numberIn(const Json &object, const char *key, double fallback) const
    {
        if (!object.contains(key) || object.at(key).is_null())
            return fallback;
        const Json &value = object.at(key);
        if (!value.is_number())
            fail(key, "must be a number, found " + value.dump());
        return value.get<double>();
    }
    bool boolean(const char *key, bool fallback) const
    {
        if (!has(key))
            return fallback;
        if (!m_root.at(key).is_boolean())
            fail(key, "must be true or false, found " + m_root.at(key).dump());
        return m_root.at(key).get<bool>();
    }
    std::string text(const char *key, const std::string &fallback) const
    {
        if (!has(key))
            return fallback;
        if (!m_root.at(key).is_string())
            fail(key, "must be a string, found " + m_root.at(key).dump());
        return m_root.at(key).get<std::string>();
    }
    const Json *object(const char *key) const
    {
        if (!has(key))
            return nullptr;
        if (!m_root.at(key).is_object())
            fail(key, "must be an object, found " + m_root.at(key).dump());
        return &m_root.at(key);
    }
    std::vector<std::int64_t> integerList(const char *key) const
    {
        if (!has(key))
            return {};
        const Json &value = m_root.at(key);
        if (value.is_number_integer())
            return { value.get<std::int64_t>() };
        std::vector<std::int64_t> list;
        if (value.is_array())
            for (const Json &item : value) {
                if (!item.is_number_integer())
                    fail(key, "must be an integer or a list of integers, found " + value.dump());
                list.push_back(item.get<std::int64_t>());
            }
        else
            fail(key, "must be an integer or a list of integers, found " + value.dump());
        return list;
    }

    [[noreturn]] void fail(const std::string &key, const std::string &problem,
        const std::string &hint = "hint: compare the file with the model's original config.json") const
    {
        throw Error("config '" + m_source + "': \"" + key + "\" " + problem + " (" + hint + ")");
    }
    const std::string &source() const { return m_source; }
    const Json &root() const { return m_root; }

private:
    const Json &m_root;
    std::string m_source;
};

struct FamilyDefaults
{
    const char *architecture;
    std::int64_t vocab, hidden, intermediate, layers, heads, kvHeads, headDim, maxPositions;
};

FamilyDefaults defaultsFor(const std::string &type)
{
    if (type == "llama")
        return { "LlamaForCausalLM", 32000, 4096, 11008, 32, 32, 0, 0, 2048 };
    if (type == "mistral")
        return { "MistralForCausalLM", 32000, 4096, 14336, 32, 32, 8, 0, 4096 * 32 };
    if (type == "qwen2")
        return { "Qwen2ForCausalLM", 151936, 4096, 22016, 32, 32, 32, 0, 32768 };
    return { "Qwen3ForCausalLM", 151936, 4096, 22016, 32, 32, 32, 128, 32768 }; // qwen3
}

void readGpt2(const ConfigReader &in, ModelConfig &config)
{
    config.vocabSize = in.integer("vocab_size", 50257);
    config.hiddenSize = in.integer("n_embd", 768);
    config.numLayers = in.integer("n_layer", 12);
    config.numHeads = in.integer("n_head", 12);
    config.numKvHeads = config.numHeads;
    config.headDim = config.numHeads > 0 ? config.hiddenSize / config.numHeads : 0;
    config.intermediateSize = in.integer("n_inner", 4 * config.hiddenSize);
    config.maxPositions = in.integer("n_positions", in.integer("n_ctx", 1024));
    config.normEps = in.number("layer_norm_epsilon", 1e-5);
    config.hiddenAct = in.text("activation_function", "gelu_new");
    if (config.hiddenAct != "gelu_new" && config.hiddenAct != "gelu_pytorch_tanh" && config.hiddenAct != "gelu")
        in.fail("activation_function", "is '" + config.hiddenAct + "', which Lorafit does not implement",
            "hint: GPT-2 models use gelu_new");
    if (!in.boolean("scale_attn_weights", true) || in.boolean("scale_attn_by_inverse_layer_idx", false)
        || in.boolean("reorder_and_upcast_attn", false))
        in.fail("scale_attn_weights", "or a related attention-scaling option differs from GPT-2's default",
            "hint: Lorafit implements standard GPT-2 attention only");
    config.qkvBias = config.outputBias = config.mlpBias = true;
    config.tieWordEmbeddings = in.boolean("tie_word_embeddings", true);
    config.slidingWindows.assign(static_cast<std::size_t>(std::max<std::int64_t>(config.numLayers, 0)), 0);
}

void readRopeScaling(const ConfigReader &in, const Json &rope, ModelConfig &config)
{
    std::string type = "default";
    for (const char *key : { "rope_type", "type" })
        if (rope.contains(key) && rope.at(key).is_string())
            type = rope.at(key).get<std::string>();
    RopeScaling &scaling = config.ropeScaling;
    scaling.type = type;
    if (type == "default")
        return;
    if (type != "linear" && type != "llama3")
        in.fail("rope_scaling", "has the type '" + type + "', which Lorafit does not implement",
            "hint: supported RoPE types are default, linear and llama3");
    if (!rope.contains("factor"))
        in.fail("rope_scaling", "of type " + type + " needs \"factor\"");
    scaling.factor = in.numberIn(rope, "factor", 1.0);
    if (type == "llama3") {
        for (const char *key : { "low_freq_factor", "high_freq_factor", "original_max_position_embeddings" })
            if (!rope.contains(key))
                in.fail("rope_scaling", std::string("of type llama3 needs \"") + key + "\"");
        scaling.lowFreqFactor = in.numberIn(rope, "low_freq_factor", 1.0);
        scaling.highFreqFactor = in.numberIn(rope, "high_freq_factor", 4.0);
        scaling.originalMaxPositions
            = static_cast<std::int64_t>(in.numberIn(rope, "original_max_position_embeddings", 8192));
    }
}

void readSlidingWindows(const ConfigReader &in, ModelConfig &config)
{
    const std::size_t layers = static_cast<std::size_t>(std::max<std::int64_t>(config.numLayers, 0));
    config.slidingWindows.assign(layers, 0);
    std::int64_t window = 0;
    if (config.modelType == "mistral")
        window = in.has("sliding_window") ? in.integer("sliding_window", 4096)
                                          : (in.root().contains("sliding_window") ? 0 : 4096);
    else if (config.modelType == "qwen2" || config.modelType == "qwen3")
        window = in.boolean("use_sliding_window", false) ? in.integer("sliding_window", 4096) : 0;
    if (window <= 0)
        return;
    if (in.has("layer_types") && in.root().at("layer_types").is_array()) {
        const Json &types = in.root().at("layer_types");
        if (types.size() != layers)
            in.fail("layer_types",
                "has " + std::to_string(types.size()) + " entries for " + std::to_string(layers) + " layers");
        for (std::size_t i = 0; i < layers; ++i)
            if (types[i] == "sliding_attention")
                config.slidingWindows[i] = window;
        return;
    }
    const std::int64_t firstSliding = config.modelType == "mistral" ? 0 : in.integer("max_window_layers", 28);
    for (std::size_t i = 0; i < layers; ++i)
        if (static_cast<std::int64_t>(i) >= firstSliding)
            config.slidingWindows[i] = window;
}

void readLlamaFamily(const ConfigReader &in, ModelConfig &config)
{
    const FamilyDefaults d = defaultsFor(config.modelType);
    config.vocabSize = in.integer("vocab_size", d.vocab);
    config.hiddenSize = in.integer("hidden_size", d.hidden);
    config.intermediateSize = in.integer("intermediate_size", d.intermediate);
    config.numLayers = in.integer("num_hidden_layers", d.layers);
    config.numHeads = in.integer("num_attention_heads", d.heads);
    config.numKvHeads = in.integer("num_key_value_heads", d.kvHeads > 0 ? d.kvHeads : config.numHeads);
    const std::int64_t defaultHeadDim
        = d.headDim > 0 ? d.headDim : (config.numHeads > 0 ? config.hiddenSize / config.numHeads : 0);
    config.headDim = in.integer("head_dim", defaultHeadDim);
    config.maxPositions = in.integer("max_position_embeddings", d.maxPositions);
    config.normEps = in.number("rms_norm_eps", 1e-6);
    config.hiddenAct = in.text("hidden_act", "silu");
    if (config.hiddenAct != "silu")
        in.fail("hidden_act", "is '" + config.hiddenAct + "', which Lorafit does not implement for " + config.modelType,
            "hint: Llama-family models use silu");
    const Json *ropeParameters = in.object("rope_parameters");
    config.ropeTheta
        = in.number("rope_theta", ropeParameters ? in.numberIn(*ropeParameters, "rope_theta", 10000.0) : 10000.0);
    if (const Json *scaling = in.object("rope_scaling"))
        readRopeScaling(in, *scaling, config);
    else if (ropeParameters)
        readRopeScaling(in, *ropeParameters, config);
    const bool attentionBias = in.boolean("attention_bias", false);
    if (config.modelType == "llama" || config.modelType == "qwen3") {
        config.qkvBias = config.outputBias = attentionBias;
    } else if (config.modelType == "qwen2") {
        config.qkvBias = true; // hard-coded in transformers' Qwen2Attention
    }
    config.mlpBias = config.modelType == "llama" && in.boolean("mlp_bias", false);
    config.qkNorm = config.modelType == "qwen3";
    config.tieWordEmbeddings = in.boolean("tie_word_embeddings", false);
    readSlidingWindows(in, config);
}

ModelConfig parseConfig(const std::string &jsonText, const std::string &source)
{
    Json root;
    try {
        root = Json::parse(jsonText);
    } catch (const Json::exception &e) {
        throw Error("config '" + source + "' is not valid JSON: " + e.what()
            + " (hint: download the model's config.json again)");
    }
    if (!root.is_object())
        throw Error("config '" + source + "' is not a JSON object (hint: download the model's config.json again)");
    const ConfigReader in(root, source);
    ModelConfig config;
    config.modelType = in.text("model_type", "");
    const auto &supported = supportedModelTypes();
    if (std::find(supported.begin(), supported.end(), config.modelType) == supported.end()) {
        std::string list;
        for (const std::string &type : supported)
            list += (list.empty() ? "" : ", ") + type;
        in.fail("model_type",
            config.modelType.empty() ? "is missing" : "is '" + config.modelType + "', which Lorafit does not support",
            "hint: supported model types are " + list);
    }
    if (config.isGpt2())
        readGpt2(in, config);
    else
        readLlamaFamily(in, config);
    config.architecture = config.isGpt2() ? "GPT2LMHeadModel" : defaultsFor(config.modelType).architecture;
    if (in.has("architectures") && root.at("architectures").is_array() && !root.at("architectures").empty()
        && root.at("architectures")[0].is_string())
        config.architecture = root.at("architectures")[0].get<std::string>();
    config.bosTokenId = in.integer("bos_token_id", -1);
    config.eosTokenIds = in.integerList("eos_token_id");
    config.padTokenId = in.integer("pad_token_id", -1);
    config.storedDtype = in.text("torch_dtype", in.text("dtype", ""));
    return config;
}

} // namespace

Status ModelConfig::validate() const
{
    auto fail = [&](const std::string &problem) {
        return Status::failure(
            "model config (" + modelType + "): " + problem + " (hint: compare with the model's original config.json)");
    };
    for (const auto &[what, value] : { std::pair<const char *, std::int64_t> { "vocab_size", vocabSize },
             { "hidden size", hiddenSize }, { "intermediate size", intermediateSize },
             { "number of layers", numLayers }, { "number of heads", numHeads },
             { "number of key/value heads", numKvHeads }, { "head_dim", headDim }, { "max positions", maxPositions } })
        if (value <= 0)
            return fail(std::string(what) + " must be positive, found " + std::to_string(value));
    if (numHeads % numKvHeads != 0)
        return fail(std::to_string(numHeads) + " attention heads are not a multiple of " + std::to_string(numKvHeads)
            + " key/value heads; num_attention_heads must be divisible by num_key_value_heads");
    if (modelType == "gpt2" && hiddenSize % numHeads != 0)
        return fail("n_embd " + std::to_string(hiddenSize) + " is not divisible by n_head " + std::to_string(numHeads));
    if (modelType != "gpt2" && headDim % 2 != 0)
        return fail("head_dim " + std::to_string(headDim) + " must be even for rotary embeddings");
    if (!(normEps > 0.0))
        return fail("the normalisation epsilon must be positive");
    if (!(ropeTheta > 0.0) || !(ropeScaling.factor > 0.0))
        return fail("rope_theta and the rope scaling factor must be positive");
    if (ropeScaling.type == "llama3" && !(ropeScaling.highFreqFactor > ropeScaling.lowFreqFactor))
        return fail("rope_scaling high_freq_factor must be larger than low_freq_factor");
    if (slidingWindows.size() != static_cast<std::size_t>(numLayers))
        return fail("there must be one sliding-window entry per layer");
    return Status::success();
}

const std::vector<std::string> &supportedModelTypes()
{
    static const std::vector<std::string> types = { "gpt2", "llama", "mistral", "qwen2", "qwen3" };
    return types;
}

Result<ModelConfig> parseModelConfig(const std::string &jsonText, const std::string &source)
{
    return guard([&] {
        ModelConfig config = parseConfig(jsonText, source);
        if (Status status = config.validate(); !status)
            throw Error("config '" + source + "': " + status.message());
        return config;
    });
}

Result<ModelConfig> readModelConfig(const std::string &folder)
{
    return guard([&] {
        const std::string path = (std::filesystem::path(folder) / "config.json").string();
        std::error_code ignored;
        if (!std::filesystem::exists(path, ignored))
            throw Error("model folder '" + folder
                + "' has no config.json (hint: choose the folder that contains "
                  "config.json and the .safetensors weights)");
        Result<ModelConfig> parsed = parseModelConfig(readFile(path), path);
        if (!parsed)
            throw Error(parsed.message());
        return std::move(parsed).value();
    });
}

} // namespace engine

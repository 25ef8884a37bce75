#include "engine/model/modelconfig.h"

#include "engine/core/atomicfile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
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
    double normEps = 1e-6; // rms_norm_eps
    double ropeTheta = 10000.0; // rope_theta
    bool tie = false; // tie_word_embeddings
};

bool isGemma3(const std::string &type) { return type == "gemma3_text" || type == "gemma3"; }

// transformers' configuration classes' defaults, used for keys a config.json leaves out.
FamilyDefaults defaultsFor(const std::string &type)
{
    if (type == "llama")
        return { "LlamaForCausalLM", 32000, 4096, 11008, 32, 32, 0, 0, 2048 };
    if (type == "mistral")
        return { "MistralForCausalLM", 32000, 4096, 14336, 32, 32, 8, 0, 4096 * 32 };
    if (type == "qwen2")
        return { "Qwen2ForCausalLM", 151936, 4096, 22016, 32, 32, 32, 0, 32768 };
    if (type == "gemma")
        return { "GemmaForCausalLM", 256000, 3072, 24576, 28, 16, 16, 256, 8192, 1e-6, 10000.0, true };
    if (type == "gemma2")
        return { "Gemma2ForCausalLM", 256000, 2304, 9216, 26, 8, 4, 256, 8192, 1e-6, 10000.0, true };
    if (isGemma3(type))
        return { "Gemma3ForCausalLM", 262208, 2304, 9216, 26, 8, 4, 256, 131072, 1e-6, 1000000.0, true };
    if (type == "phi3")
        return { "Phi3ForCausalLM", 32064, 3072, 8192, 32, 32, 0, 0, 4096, 1e-5, 10000.0, false };
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

std::vector<double> numberList(const ConfigReader &in, const Json &object, const char *key)
{
    if (!object.contains(key) || !object.at(key).is_array())
        in.fail("rope_scaling", std::string("of type longrope needs \"") + key + "\" as a list of numbers");
    std::vector<double> list;
    for (const Json &item : object.at(key)) {
        if (!item.is_number())
            in.fail("rope_scaling", std::string("\"") + key + "\" must hold numbers only, found " + item.dump());
        list.push_back(item.get<double>());
    }
    return list;
}

// Phi-3's LongRoPE: short/long per-frequency factors and transformers' attention factor.
void readLongRope(const ConfigReader &in, const Json &rope, ModelConfig &config)
{
    RopeScaling &scaling = config.ropeScaling;
    scaling.type = "longrope";
    scaling.shortFactor = numberList(in, rope, "short_factor");
    scaling.longFactor = numberList(in, rope, "long_factor");
    scaling.originalMaxPositions = in.integer("original_max_position_embeddings",
        static_cast<std::int64_t>(in.numberIn(rope, "original_max_position_embeddings",
            static_cast<double>(config.maxPositions))));
    const double factor = static_cast<double>(config.maxPositions) / static_cast<double>(scaling.originalMaxPositions);
    scaling.factor = factor;
    scaling.attentionFactor = factor <= 1.0
        ? 1.0
        : std::sqrt(1.0 + std::log(factor) / std::log(static_cast<double>(scaling.originalMaxPositions)));
    scaling.attentionFactor = in.numberIn(rope, "attention_factor", scaling.attentionFactor);
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
    if (config.modelType == "phi3") {
        if (type != "longrope" && type != "su" && type != "yarn") // transformers' Phi3Config reads su and yarn as longrope
            in.fail("rope_scaling", "has the type '" + type + "', which Lorafit does not implement for phi3",
                "hint: Phi-3 models use longrope (also written su)");
        readLongRope(in, rope, config);
        return;
    }
    if (type != "linear" && type != "llama3")
        in.fail("rope_scaling", "has the type '" + type + "', which Lorafit does not implement",
            "hint: supported RoPE types are default, linear and llama3 (and longrope for phi3)");
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

// Sets `window` on the sliding layers: those layer_types names "sliding_attention"
// when the config has that list, else those for which isSliding(layer) holds.
template <typename IsSliding>
void assignWindows(const ConfigReader &in, ModelConfig &config, std::int64_t window, const IsSliding &isSliding)
{
    const std::size_t layers = static_cast<std::size_t>(std::max<std::int64_t>(config.numLayers, 0));
    config.slidingWindows.assign(layers, 0);
    if (window <= 0)
        return;
    if (in.has("layer_types") && in.root().at("layer_types").is_array()) {
        const Json &types = in.root().at("layer_types");
        if (types.size() != layers)
            in.fail("layer_types",
                "has " + std::to_string(types.size()) + " entries for " + std::to_string(layers) + " layers");
        for (std::size_t i = 0; i < layers; ++i) {
            if (types[i] != "sliding_attention" && types[i] != "full_attention")
                in.fail("layer_types", "holds " + types[i].dump() + " for layer " + std::to_string(i)
                        + ", an attention kind Lorafit does not implement",
                    "hint: Lorafit implements full_attention and sliding_attention layers");
            if (types[i] == "sliding_attention")
                config.slidingWindows[i] = window;
        }
        return;
    }
    for (std::size_t i = 0; i < layers; ++i)
        if (isSliding(static_cast<std::int64_t>(i)))
            config.slidingWindows[i] = window;
}

void readSlidingWindows(const ConfigReader &in, ModelConfig &config)
{
    std::int64_t window = 0;
    if (config.modelType == "mistral")
        window = in.has("sliding_window") ? in.integer("sliding_window", 4096)
                                          : (in.root().contains("sliding_window") ? 0 : 4096);
    else if (config.modelType == "qwen2" || config.modelType == "qwen3")
        window = in.boolean("use_sliding_window", false) ? in.integer("sliding_window", 4096) : 0;
    // Without layer_types: every layer from max_window_layers on (Qwen2), all of them (Mistral).
    assignWindows(in, config, window, [&](std::int64_t layer) {
        return layer >= (config.modelType == "mistral" ? 0 : in.integer("max_window_layers", 28));
    });
}

// The keys every decoder-only family shares: sizes, norm epsilon, RoPE, tying.
void readDecoderShape(const ConfigReader &in, ModelConfig &config)
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
    config.normEps = in.number("rms_norm_eps", d.normEps);
    const Json *ropeParameters = in.object("rope_parameters");
    config.ropeTheta
        = in.number("rope_theta", ropeParameters ? in.numberIn(*ropeParameters, "rope_theta", d.ropeTheta) : d.ropeTheta);
    if (const Json *scaling = in.object("rope_scaling"))
        readRopeScaling(in, *scaling, config);
    else if (ropeParameters)
        readRopeScaling(in, *ropeParameters, config);
    config.tieWordEmbeddings = in.boolean("tie_word_embeddings", d.tie);
}

void requireActivation(const ConfigReader &in, const char *key, const std::string &act,
    std::initializer_list<const char *> known, const std::string &hint)
{
    for (const char *name : known)
        if (act == name)
            return;
    in.fail(key, "is '" + act + "', which Lorafit does not implement for this model type", hint);
}

void readLlamaFamily(const ConfigReader &in, ModelConfig &config)
{
    readDecoderShape(in, config);
    config.hiddenAct = in.text("hidden_act", "silu");
    requireActivation(in, "hidden_act", config.hiddenAct, { "silu" }, "hint: Llama-family models use silu");
    const bool attentionBias = in.boolean("attention_bias", false);
    if (config.modelType == "llama" || config.modelType == "qwen3") {
        config.qkvBias = config.outputBias = attentionBias;
    } else if (config.modelType == "qwen2") {
        config.qkvBias = true; // hard-coded in transformers' Qwen2Attention
    }
    config.mlpBias = config.modelType == "llama" && in.boolean("mlp_bias", false);
    config.qkNorm = config.modelType == "qwen3";
    readSlidingWindows(in, config);
}

// A number whose key may be absent (the family default) or null (off, 0).
double optionalNumber(const ConfigReader &in, const char *key, double whenAbsent)
{
    if (!in.root().contains(key))
        return whenAbsent;
    return in.number(key, 0.0);
}

// Gemma 2 and 3: sandwich norms, query_pre_attn_scalar, soft-capping, local/global layers.
void readGemma23(const ConfigReader &in, ModelConfig &config)
{
    const bool gemma2 = config.modelType == "gemma2";
    config.sandwichNorms = true;
    const double queryScalar = in.number("query_pre_attn_scalar", 256.0);
    if (!(queryScalar > 0.0))
        in.fail("query_pre_attn_scalar", "must be positive, found " + std::to_string(queryScalar));
    config.attentionScale = 1.0 / std::sqrt(queryScalar);
    config.attnSoftcap = optionalNumber(in, "attn_logit_softcapping", gemma2 ? 50.0 : 0.0);
    config.finalSoftcap = optionalNumber(in, "final_logit_softcapping", gemma2 ? 30.0 : 0.0);
    const std::int64_t window = in.integer("sliding_window", 4096);
    if (gemma2) {
        assignWindows(in, config, window, [](std::int64_t layer) { return layer % 2 == 0; });
        return;
    }
    if (in.boolean("use_bidirectional_attention", false))
        in.fail("use_bidirectional_attention", "is true (an embedding model's attention), which Lorafit does not "
                                               "implement", "hint: choose a causal Gemma 3 language model");
    config.qkNorm = true;
    config.ropeLocalTheta = in.number("rope_local_base_freq", 10000.0);
    const std::int64_t pattern = in.integer("sliding_window_pattern", in.integer("_sliding_window_pattern", 6));
    if (pattern <= 0)
        in.fail("sliding_window_pattern", "must be positive, found " + std::to_string(pattern));
    assignWindows(in, config, window, [pattern](std::int64_t layer) { return (layer + 1) % pattern != 0; });
}

void readGemmaFamily(const ConfigReader &in, ModelConfig &config)
{
    readDecoderShape(in, config);
    const bool gemma1 = config.modelType == "gemma";
    const char *actKey = gemma1 ? "hidden_act" : "hidden_activation"; // what transformers' GemmaMLP / Gemma2MLP read
    config.hiddenAct = in.text(actKey, "gelu_pytorch_tanh");
    requireActivation(in, actKey, config.hiddenAct, { "gelu_pytorch_tanh", "gelu" },
        "hint: Gemma models use gelu_pytorch_tanh");
    config.qkvBias = config.outputBias = in.boolean("attention_bias", false);
    config.normPlusOne = config.scaleEmbeddings = true;
    config.slidingWindows.assign(static_cast<std::size_t>(std::max<std::int64_t>(config.numLayers, 0)), 0);
    if (!gemma1)
        readGemma23(in, config);
}

void readPhi3(const ConfigReader &in, ModelConfig &config)
{
    readDecoderShape(in, config);
    config.hiddenAct = in.text("hidden_act", "silu");
    requireActivation(in, "hidden_act", config.hiddenAct, { "silu" }, "hint: Phi-3 models use silu");
    config.fusedProjections = true;
    config.partialRotary = in.number("partial_rotary_factor", 1.0);
    assignWindows(in, config, in.integer("sliding_window", 0), [](std::int64_t) { return true; });
}

bool isVisionOnly(const std::string &type)
{
    return type.find("vision") != std::string::npos || type == "siglip" || type == "clip" || type == "vit";
}

// A multimodal gemma3 folder: the language model described by text_config.
void readGemma3Text(const ConfigReader &in, ModelConfig &config)
{
    const Json *text = in.object("text_config");
    if (!text)
        in.fail("text_config", "is missing, so this gemma3 folder has no language model Lorafit could load",
            "hint: choose a Gemma 3 folder with a text model, e.g. gemma-3-1b-it or gemma-3-4b-it");
    const ConfigReader textIn(*text, in.source() + " (text_config)");
    const std::string textType = textIn.text("model_type", "gemma3_text");
    if (textType != "gemma3_text")
        textIn.fail("model_type", "is '" + textType + "', expected gemma3_text for a gemma3 folder");
    readGemmaFamily(textIn, config);
    config.textOfMultimodal = true;
}

void readArchitecture(const ConfigReader &in, ModelConfig &config)
{
    if (config.isGpt2())
        readGpt2(in, config);
    else if (config.modelType == "gemma3")
        readGemma3Text(in, config);
    else if (config.modelType.rfind("gemma", 0) == 0)
        readGemmaFamily(in, config);
    else if (config.modelType == "phi3")
        readPhi3(in, config);
    else
        readLlamaFamily(in, config);
}

// bos/eos/pad ids: top level, else (gemma3) from text_config.
void readSpecialTokens(const ConfigReader &in, ModelConfig &config)
{
    const Json *text = config.textOfMultimodal ? in.object("text_config") : nullptr;
    const ConfigReader fallback(text ? *text : in.root(), in.source());
    config.bosTokenId = in.integer("bos_token_id", fallback.integer("bos_token_id", -1));
    config.eosTokenIds = in.integerList("eos_token_id");
    if (config.eosTokenIds.empty())
        config.eosTokenIds = fallback.integerList("eos_token_id");
    config.padTokenId = in.integer("pad_token_id", fallback.integer("pad_token_id", -1));
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
    if (isVisionOnly(config.modelType))
        in.fail("model_type", "is '" + config.modelType + "', a vision encoder without a language model",
            "hint: Lorafit trains causal language models; choose the folder of the whole model, e.g. a gemma3 "
            "folder whose text_config it loads");
    const auto &supported = supportedModelTypes();
    if (std::find(supported.begin(), supported.end(), config.modelType) == supported.end()) {
        std::string list;
        for (const std::string &type : supported)
            list += (list.empty() ? "" : ", ") + type;
        in.fail("model_type",
            config.modelType.empty() ? "is missing" : "is '" + config.modelType + "', which Lorafit does not support",
            "hint: supported model types are " + list);
    }
    readArchitecture(in, config);
    config.architecture = config.isGpt2() ? "GPT2LMHeadModel" : defaultsFor(config.modelType).architecture;
    if (in.has("architectures") && root.at("architectures").is_array() && !root.at("architectures").empty()
        && root.at("architectures")[0].is_string())
        config.architecture = root.at("architectures")[0].get<std::string>();
    readSpecialTokens(in, config);
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
    if (!(partialRotary > 0.0 && partialRotary <= 1.0))
        return fail("partial_rotary_factor must lie in (0, 1], found " + std::to_string(partialRotary));
    if (modelType != "gpt2" && (rotaryDim() % 2 != 0 || rotaryDim() <= 0))
        return fail("the rotated part of head_dim (" + std::to_string(rotaryDim()) + ") must be even and positive");
    if (ropeScaling.type == "longrope"
        && (ropeScaling.shortFactor.size() != static_cast<std::size_t>(rotaryDim() / 2)
            || ropeScaling.longFactor.size() != ropeScaling.shortFactor.size()))
        return fail("rope_scaling short_factor and long_factor must each hold " + std::to_string(rotaryDim() / 2)
            + " numbers (half the rotated head dimensions)");
    if (attentionScale < 0.0 || attnSoftcap < 0.0 || finalSoftcap < 0.0 || ropeLocalTheta < 0.0)
        return fail("query_pre_attn_scalar, the soft-capping values and rope_local_base_freq must not be negative");
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

std::int64_t ModelConfig::rotaryDim() const
{
    return static_cast<std::int64_t>(static_cast<double>(headDim) * partialRotary); // transformers' int(...)
}

const std::vector<std::string> &supportedModelTypes()
{
    static const std::vector<std::string> types
        = { "gpt2", "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "gemma3", "phi3" };
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

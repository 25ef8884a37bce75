// The architecture of a causal language model as read from a Hugging Face
// config.json: gpt2, llama, mistral, qwen2 and qwen3. Reads both the old
// (rope_theta, rope_scaling) and the new (rope_parameters) RoPE keys, the GPT-2
// key names (n_embd, n_layer, ...), eos_token_id as an int or a list, and the
// per-family defaults. Does not touch the weights. Torch-free.
#pragma once

#include "engine/core/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

// How rotary frequencies are rescaled (rope_scaling / rope_parameters).
struct RopeScaling
{
    std::string type = "default"; // "default", "linear" or "llama3"
    double factor = 1.0; // linear and llama3: frequency divisor
    double lowFreqFactor = 1.0; // llama3
    double highFreqFactor = 4.0; // llama3
    std::int64_t originalMaxPositions = 8192; // llama3: original_max_position_embeddings
};

struct ModelConfig
{
    std::string modelType; // "gpt2", "llama", "mistral", "qwen2", "qwen3"
    std::string architecture; // architectures[0], e.g. "LlamaForCausalLM"
    std::int64_t vocabSize = 0; // rows of the token embedding
    std::int64_t hiddenSize = 0; // C: model width
    std::int64_t intermediateSize = 0; // MLP width (GPT-2: n_inner or 4*C)
    std::int64_t numLayers = 0; // decoder blocks
    std::int64_t numHeads = 0; // attention (query) heads
    std::int64_t numKvHeads = 0; // key/value heads (GQA); = numHeads when absent
    std::int64_t headDim = 0; // per head; explicit head_dim or hiddenSize / numHeads
    std::int64_t maxPositions = 0; // max_position_embeddings / n_positions
    double normEps = 1e-5; // rms_norm_eps or layer_norm_epsilon
    std::string hiddenAct; // "gelu_new" (GPT-2) or "silu"
    double ropeTheta = 10000.0; // RoPE base (llama family)
    RopeScaling ropeScaling; // RoPE frequency scaling (llama family)
    bool qkvBias = false; // biases on q/k/v projections (qwen2; llama attention_bias)
    bool outputBias = false; // bias on o_proj (llama attention_bias)
    bool mlpBias = false; // biases on gate/up/down (llama mlp_bias)
    bool qkNorm = false; // per-head RMSNorm on q and k before RoPE (qwen3)
    bool tieWordEmbeddings = false; // lm_head shares the token embedding
    std::vector<std::int64_t> slidingWindows; // per layer: attention window in tokens, 0 = full
    std::int64_t bosTokenId = -1; // -1 when absent
    std::vector<std::int64_t> eosTokenIds; // eos_token_id as a list (empty when absent)
    std::int64_t padTokenId = -1; // -1 when absent
    std::string storedDtype; // torch_dtype / dtype as written, e.g. "bfloat16" ("" if absent)

    // Checks that the sizes are positive and consistent (heads divide, ...).
    Status validate() const;
    bool isGpt2() const { return modelType == "gpt2"; }
};

// The model_type values Lorafit implements.
const std::vector<std::string> &supportedModelTypes();

// Parses config.json text; `source` names the file in error messages. Fails
// for invalid JSON, a missing required key, a value of the wrong type, an
// unsupported model_type (the message lists the supported ones) or an
// unsupported rope type; the result is validated.
Result<ModelConfig> parseModelConfig(const std::string &jsonText, const std::string &source);

// Reads `<folder>/config.json` and parses it.
Result<ModelConfig> readModelConfig(const std::string &folder);

} // namespace engine

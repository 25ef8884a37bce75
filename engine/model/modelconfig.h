// The architecture of a causal language model as read from a Hugging Face
// config.json: gpt2, llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text
// (and the text part of a multimodal gemma3 folder) and phi3. Reads both the old
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
    std::string type = "default"; // "default", "linear", "llama3" or "longrope" (Phi-3; "su" read as longrope)
    double factor = 1.0; // linear and llama3: frequency divisor
    double lowFreqFactor = 1.0; // llama3
    double highFreqFactor = 4.0; // llama3
    std::int64_t originalMaxPositions = 8192; // llama3, longrope: original_max_position_embeddings
    std::vector<double> shortFactor; // longrope: per-frequency divisors up to originalMaxPositions tokens
    std::vector<double> longFactor; // longrope: per-frequency divisors beyond originalMaxPositions tokens
    double attentionFactor = 1.0; // longrope: multiplies cos and sin
};

struct ModelConfig
{
    std::string modelType; // "gpt2", "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "gemma3", "phi3"
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
    std::string hiddenAct; // "gelu_new" (GPT-2), "silu", "gelu_pytorch_tanh" or "gelu" (Gemma)
    double ropeTheta = 10000.0; // RoPE base (llama family)
    RopeScaling ropeScaling; // RoPE frequency scaling (llama family)
    bool qkvBias = false; // biases on q/k/v projections (qwen2; llama attention_bias)
    bool outputBias = false; // bias on o_proj (llama attention_bias)
    bool mlpBias = false; // biases on gate/up/down (llama mlp_bias)
    bool qkNorm = false; // per-head RMSNorm on q and k before RoPE (qwen3)
    bool tieWordEmbeddings = false; // lm_head shares the token embedding
    std::vector<std::int64_t> slidingWindows; // per layer: attention window in tokens, 0 = full
    bool normPlusOne = false; // RMSNorm scales by (1 + weight) (Gemma)
    bool scaleEmbeddings = false; // token embeddings times sqrt(hidden size) (Gemma)
    bool sandwichNorms = false; // norms after attention and around the MLP (Gemma 2 and 3)
    double attentionScale = 0.0; // query scaling; 0 = 1/sqrt(head_dim) (Gemma 2/3: query_pre_attn_scalar^-1/2)
    double attnSoftcap = 0.0; // attention logits become cap·tanh(x/cap); 0 = off (Gemma 2)
    double finalSoftcap = 0.0; // output logits become cap·tanh(x/cap); 0 = off (Gemma 2)
    double ropeLocalTheta = 0.0; // RoPE base of sliding-window layers (default scaling); 0 = as global (Gemma 3)
    double partialRotary = 1.0; // fraction of head_dim that is rotated (Phi-3 partial_rotary_factor)
    bool fusedProjections = false; // qkv_proj and gate_up_proj instead of q/k/v and gate/up (Phi-3)
    bool textOfMultimodal = false; // the language model of a multimodal folder; its vision tower is ignored
    std::int64_t bosTokenId = -1; // -1 when absent
    std::vector<std::int64_t> eosTokenIds; // eos_token_id as a list (empty when absent)
    std::int64_t padTokenId = -1; // -1 when absent
    std::string storedDtype; // torch_dtype / dtype as written, e.g. "bfloat16" ("" if absent)

    // Checks that the sizes are positive and consistent (heads divide, ...).
    Status validate() const;
    bool isGpt2() const { return modelType == "gpt2"; }
    // Head dimensions that RoPE rotates (head_dim · partial_rotary_factor, even).
    std::int64_t rotaryDim() const;
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

// Internal (Torch): the Llama-style decoders (transformers' LlamaForCausalLM,
// MistralForCausalLM, Qwen2/Qwen3ForCausalLM, GemmaForCausalLM,
// Gemma2ForCausalLM, Gemma3ForCausalLM and Phi3ForCausalLM) with Hugging Face
// names: model.{embed_tokens,layers.N.{input_layernorm,self_attn.{q,k,v,o}_proj
// | self_attn.{qkv,o}_proj,[self_attn.q_norm,k_norm],post_attention_layernorm,
// [pre_feedforward_layernorm,post_feedforward_layernorm],mlp.{gate,up,down}_proj
// | mlp.{gate_up,down}_proj},norm} and lm_head. GQA, rotate_half RoPE (default,
// linear, llama3, longrope; partial rotary), q/k/v biases (qwen2), per-head q/k
// RMSNorm (qwen3, gemma3), sliding-window layers (mistral, gemma2/3, phi3), and
// Gemma's (1 + weight) norms, scaled embeddings, GeGLU, sandwich norms,
// query_pre_attn_scalar, attention and final logit soft-capping and separate
// RoPE tables for local layers. The differences come from ModelConfig's fields,
// not from the model type. Computes in f32; no dropout.
#pragma once

#include "engine/model/causallmnet.h"
#include "engine/model/linear.h"
#include "engine/model/rmsnorm.h"
#include "engine/model/rotary.h"

#include <tuple>

namespace engine {

// Shape letters: B batch, T new tokens, S cached + new tokens, H hidden size,
// nh query heads, nkv key/value heads, hd head size, I MLP width, V vocabulary.

class LlamaAttentionImpl : public torch::nn::Module
{
public:
    LlamaAttentionImpl(const ModelConfig &config, std::size_t layer);
    // x (B, T, H); cos, sin (T, hd) -> (B, T, H)
    torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin, KvCache *cache,
        std::int64_t startPos);

private:
    // x (B, T, H) -> q (B, T, nh, hd), k and v (B, T, nkv, hd)
    std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> project(const torch::Tensor &x);
    // x (B, T, h, hd) -> (B, h, T, hd) with the first rd dimensions rotated
    torch::Tensor rotate(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin) const;

    Linear m_q { nullptr }, m_k { nullptr }, m_v { nullptr }, m_o { nullptr };
    Linear m_qkv { nullptr }; // Phi-3's fused projection, [q; k; v] rows
    RmsNorm m_qNorm { nullptr }, m_kNorm { nullptr };
    std::int64_t m_heads, m_kvHeads, m_headDim, m_rotaryDim, m_window;
    double m_scale, m_softcap;
    std::size_t m_layer;
};
TORCH_MODULE(LlamaAttention);

class LlamaMlpImpl : public torch::nn::Module
{
public:
    explicit LlamaMlpImpl(const ModelConfig &config);
    torch::Tensor forward(const torch::Tensor &x); // (B, T, H)

private:
    Linear m_gate { nullptr }, m_up { nullptr }, m_down { nullptr };
    Linear m_gateUp { nullptr }; // Phi-3's fused projection, [gate; up] rows
    std::string m_activation; // silu, gelu_pytorch_tanh or gelu
};
TORCH_MODULE(LlamaMlp);

class LlamaDecoderLayerImpl : public torch::nn::Module
{
public:
    LlamaDecoderLayerImpl(const ModelConfig &config, std::size_t layer);
    torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin, KvCache *cache,
        std::int64_t startPos); // (B, T, H)

private:
    RmsNorm m_inputNorm { nullptr }, m_postNorm { nullptr };
    RmsNorm m_preFfNorm { nullptr }, m_postFfNorm { nullptr }; // Gemma 2/3 sandwich norms
    LlamaAttention m_attn { nullptr };
    LlamaMlp m_mlp { nullptr };
};
TORCH_MODULE(LlamaDecoderLayer);

// transformers' LlamaModel: embeddings, decoder layers, final norm, RoPE tables.
class LlamaModelImpl : public torch::nn::Module
{
public:
    explicit LlamaModelImpl(const ModelConfig &config);
    torch::Tensor forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos); // (B, T, H)

    torch::nn::Embedding embedTokens { nullptr };
    bool checkpointLayers = false; // gradient checkpointing of each decoder layer (without a cache)

private:
    torch::nn::ModuleList m_layers;
    RmsNorm m_norm { nullptr };
    Rotary m_rotary;
    Rotary m_localRotary; // sliding-window layers (differs for Gemma 3 only)
    std::vector<bool> m_localLayers; // per layer: uses m_localRotary
    bool m_separateLocal; // m_localRotary differs from m_rotary
    double m_embedScale; // multiplies the token embeddings (Gemma: sqrt(H)), 1 otherwise
};
TORCH_MODULE(LlamaModel);

class LlamaForCausalLmImpl : public CausalLmNetImpl
{
public:
    explicit LlamaForCausalLmImpl(const ModelConfig &config);
    torch::Tensor forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos) override; // (B, T, V)
    torch::Tensor hiddenStates(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos) override
    {
        return m_model(ids, cache, startPos);
    }
    // lm_head, then Gemma 2's final soft-capping cap·tanh(x/cap) when configured.
    torch::Tensor logits(const torch::Tensor &hidden) override;
    std::vector<std::string> fileNamesFor(const std::string &parameterName) const override;
    bool isIgnoredFileTensor(const std::string &name) const override;
    void setGradientCheckpointing(bool on) override { m_model->checkpointLayers = on; }

private:
    LlamaModel m_model { nullptr };
    Linear m_lmHead { nullptr };
};

} // namespace engine

// Internal (Torch): the Llama family (transformers' LlamaForCausalLM,
// MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM) with Hugging Face
// names: model.{embed_tokens,layers.N.{input_layernorm,self_attn.{q,k,v,o}_proj,
// [self_attn.q_norm,k_norm],post_attention_layernorm,mlp.{gate,up,down}_proj},
// norm} and lm_head. GQA, rotate_half RoPE (default, linear, llama3 scaling),
// q/k/v biases (qwen2), per-head q/k RMSNorm (qwen3), sliding-window layers
// (mistral). Computes in f32; no dropout.
#pragma once

#include "engine/model/causallmnet.h"
#include "engine/model/linear.h"
#include "engine/model/rmsnorm.h"
#include "engine/model/rotary.h"

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
    Linear m_q { nullptr }, m_k { nullptr }, m_v { nullptr }, m_o { nullptr };
    RmsNorm m_qNorm { nullptr }, m_kNorm { nullptr };
    std::int64_t m_heads, m_kvHeads, m_headDim, m_window;
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
    torch::Tensor logits(const torch::Tensor &hidden) override { return m_lmHead(hidden); }
    bool isIgnoredFileTensor(const std::string &name) const override;
    void setGradientCheckpointing(bool on) override { m_model->checkpointLayers = on; }

private:
    LlamaModel m_model { nullptr };
    Linear m_lmHead { nullptr };
};

} // namespace engine

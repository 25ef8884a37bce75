// Internal (Torch): GPT-2 (transformers' GPT2LMHeadModel) with Hugging Face
// names: transformer.{wte,wpe,h.N.{ln_1,attn.c_attn,attn.c_proj,ln_2,mlp.c_fc,
// mlp.c_proj},ln_f} and a tied lm_head. Projections are Conv1D-layout
// engine::Linear ([in, out] weights). Files without the `transformer.` prefix
// (the hub's original gpt2) load too; the attn.bias / attn.masked_bias mask
// buffers in such files are ignored. No dropout (inference and LoRA training
// of the base run without it).
#pragma once

#include "engine/model/causallmnet.h"
#include "engine/model/linear.h"

namespace engine {

// Shape letters: B batch, T new tokens, S cached + new tokens, C hidden size,
// nh heads, hd head size, V vocabulary.

class Gpt2AttentionImpl : public torch::nn::Module
{
public:
    Gpt2AttentionImpl(const ModelConfig &config, std::size_t layer);
    torch::Tensor forward(const torch::Tensor &x, KvCache *cache, std::int64_t startPos); // (B, T, C)

private:
    Linear m_cAttn { nullptr }, m_cProj { nullptr };
    std::int64_t m_heads, m_headDim;
    std::size_t m_layer;
};
TORCH_MODULE(Gpt2Attention);

class Gpt2MlpImpl : public torch::nn::Module
{
public:
    explicit Gpt2MlpImpl(const ModelConfig &config);
    torch::Tensor forward(const torch::Tensor &x); // (B, T, C)

private:
    Linear m_cFc { nullptr }, m_cProj { nullptr };
    std::string m_activation;
};
TORCH_MODULE(Gpt2Mlp);

class Gpt2BlockImpl : public torch::nn::Module
{
public:
    Gpt2BlockImpl(const ModelConfig &config, std::size_t layer);
    torch::Tensor forward(const torch::Tensor &x, KvCache *cache, std::int64_t startPos); // (B, T, C)

private:
    torch::nn::LayerNorm m_ln1 { nullptr }, m_ln2 { nullptr };
    Gpt2Attention m_attn { nullptr };
    Gpt2Mlp m_mlp { nullptr };
};
TORCH_MODULE(Gpt2Block);

// transformers' GPT2Model: embeddings, blocks and the final layer norm.
class Gpt2ModelImpl : public torch::nn::Module
{
public:
    explicit Gpt2ModelImpl(const ModelConfig &config);
    torch::Tensor forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos); // (B, T, C)

    torch::nn::Embedding wte { nullptr }, wpe { nullptr };
    bool checkpointLayers = false; // gradient checkpointing of each block (without a cache)

private:
    torch::nn::ModuleList m_blocks;
    torch::nn::LayerNorm m_lnF { nullptr };
};
TORCH_MODULE(Gpt2Model);

class Gpt2LmHeadModelImpl : public CausalLmNetImpl
{
public:
    explicit Gpt2LmHeadModelImpl(const ModelConfig &config);
    torch::Tensor forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos) override; // (B, T, V)
    torch::Tensor hiddenStates(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos) override
    {
        return m_transformer(ids, cache, startPos);
    }
    torch::Tensor logits(const torch::Tensor &hidden) override { return m_lmHead(hidden); }
    std::vector<std::string> fileNamesFor(const std::string &parameterName) const override;
    bool isIgnoredFileTensor(const std::string &name) const override;
    void setGradientCheckpointing(bool on) override { m_transformer->checkpointLayers = on; }

private:
    Gpt2Model m_transformer { nullptr };
    Linear m_lmHead { nullptr };
};

} // namespace engine

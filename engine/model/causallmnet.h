// Internal (Torch): the base class of the networks (GPT-2, Llama family). A
// network is a torch::nn::Module whose parameters carry the exact Hugging Face
// names; forward maps token ids to next-token logits, optionally through a KV
// cache. How file tensor names map to parameters is described here too, so the
// loader stays architecture-neutral.
#pragma once

#include "engine/model/kvcache.h"
#include "engine/model/modelconfig.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace engine {

class CausalLmNetImpl : public torch::nn::Module
{
public:
    explicit CausalLmNetImpl(ModelConfig config)
        : m_config(std::move(config))
    { }

    // ids (B, T) int64 at positions startPos.. -> logits (B, T, V) f32. With a
    // cache, its length must equal startPos and the new keys/values are appended.
    virtual torch::Tensor forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos) = 0;
    // The two halves of forward: the final (normed) hidden states (B, T, H),
    // and the logits of hidden states (..., H) -> (..., V) through lm_head.
    virtual torch::Tensor hiddenStates(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos) = 0;
    virtual torch::Tensor logits(const torch::Tensor &hidden) = 0;

    // Names under which a parameter may be stored in a file, preferred first.
    virtual std::vector<std::string> fileNamesFor(const std::string &parameterName) const { return { parameterName }; }
    // True for tensors found in files that are buffers, not weights (ignored).
    virtual bool isIgnoredFileTensor(const std::string &name) const = 0;

    // Gradient checkpointing of every decoder layer while autograd records
    // (checkpointing.h): less memory for activations, one more forward pass.
    virtual void setGradientCheckpointing(bool on) = 0;

    const ModelConfig &config() const { return m_config; }

private:
    ModelConfig m_config;
};

} // namespace engine

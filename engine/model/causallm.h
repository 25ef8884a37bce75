// Internal (Torch): a loaded causal language model. loadCausalLm() reads
// config.json, builds the network for its model_type and fills every parameter
// from the folder's safetensors (memory-mapped; f32 zero-copy when aligned,
// f16/bf16 converted to f32). Base weights are frozen. Errors name the folder,
// the tensor, and expected versus found shapes. Not thread-safe: one thread
// runs forward at a time.
#pragma once

#include "engine/model/causallmnet.h"
#include "engine/model/kvcache.h"
#include "engine/model/linear.h"
#include "engine/model/modelconfig.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace engine {

struct CausalLmOptions
{
    torch::Device device = torch::kCPU; // where the weights live and compute runs (copied if not CPU)
};

// A projection of the model with its Hugging Face module name.
struct NamedLinear
{
    std::string name; // e.g. "model.layers.3.self_attn.q_proj"
    int layer = -1; // decoder layer index, -1 outside the layers (lm_head)
    Linear module;
};

class CausalLm
{
public:
    CausalLm(std::shared_ptr<CausalLmNetImpl> net, std::string folder, std::vector<std::string> unusedTensors);

    // ids (B, T) int64 token ids at positions startPos.. -> logits (B, T, V) f32.
    // With a cache (from makeCache()), its length must equal startPos; the new
    // keys and values are appended. Throws engine::Error for ids outside the
    // vocabulary or a cache that does not match startPos.
    torch::Tensor forward(const torch::Tensor &ids, KvCache *cache = nullptr, std::int64_t startPos = 0) const;

    // forward() in two halves, for a loss that needs the logits of only some
    // positions at a time: final hidden states (B, T, H) and their logits.
    torch::Tensor hiddenStates(const torch::Tensor &ids) const;
    torch::Tensor logits(const torch::Tensor &hidden) const { return m_net->logits(hidden); }

    const ModelConfig &config() const { return m_net->config(); }
    // The network: named_parameters() gives Hugging Face names.
    torch::nn::Module &module() const { return *m_net; }
    std::shared_ptr<CausalLmNetImpl> net() const { return m_net; }
    // Every projection with its name and layer, in module order.
    std::vector<NamedLinear> linearModules() const;
    KvCache makeCache() const { return KvCache(static_cast<std::size_t>(config().numLayers)); }
    const std::string &folder() const { return m_folder; }
    // Tensors in the files that no parameter used (buffers excluded).
    const std::vector<std::string> &unusedTensors() const { return m_unused; }

private:
    void checkInput(const torch::Tensor &ids, const KvCache *cache, std::int64_t startPos) const;

    std::shared_ptr<CausalLmNetImpl> m_net;
    std::string m_folder;
    std::vector<std::string> m_unused;
};

// Builds the network of `config` with uninitialised, frozen weights.
std::shared_ptr<CausalLmNetImpl> buildCausalLmNet(const ModelConfig &config);

// Loads the model in `folder` (config.json + safetensors). Throws engine::Error.
CausalLm loadCausalLm(const std::string &folder, const CausalLmOptions &options = {});

} // namespace engine

// Internal (Torch): the one projection module of every network (attention
// q/k/v/o or c_attn/c_proj, MLP gate/up/down or c_fc/c_proj, lm_head), so LoRA
// can find and wrap all of them the same way. Keeps the Hugging Face parameter
// names and layouts: `weight` is [out, in] (nn.Linear) or [in, out] for GPT-2's
// Conv1D, `bias` is optional. A tied projection (lm_head sharing the token
// embedding) uses the embedding's weight without registering it again.
#pragma once

#include "engine/model/linearadapter.h"
#include "engine/quant/nf4.h"

#include <torch/torch.h>

#include <memory>

namespace engine {

class LinearImpl : public torch::nn::Module
{
public:
    // A projection from `in` to `out` features, weight frozen (requires_grad
    // false) and uninitialised until the loader fills it. conv1d: store the
    // weight as [in, out] like GPT-2's Conv1D.
    LinearImpl(std::int64_t in, std::int64_t out, bool bias, bool conv1d = false);
    // A bias-free projection whose [out, in] weight is `tiedWeight` (not
    // registered as this module's parameter, so it is listed once).
    explicit LinearImpl(torch::Tensor tiedWeight);

    // (..., in) -> (..., out): adapter->apply(x, baseOut) when an adapter is
    // set, else baseOut.
    torch::Tensor forward(const torch::Tensor &x);
    // The frozen projection alone, ignoring any adapter.
    torch::Tensor baseForward(const torch::Tensor &x) const;

    // Attaches (or, with nullptr, removes) an adapter.
    void setAdapter(std::shared_ptr<LinearAdapter> adapter) { m_adapter = std::move(adapter); }
    const std::shared_ptr<LinearAdapter> &adapter() const { return m_adapter; }

    std::int64_t inFeatures() const { return m_in; }
    std::int64_t outFeatures() const { return m_out; }
    bool isConv1d() const { return m_conv1d; }
    bool isTied() const { return m_tied; }
    bool hasBias() const { return bias.defined(); }
    // The weight as [out, in] whatever the storage layout: a view for Conv1D,
    // a dequantised copy (not a view) when quantised.
    torch::Tensor weightOutIn() const;

    // Replaces the f32 weight by 4-bit NF4 (QLoRA), dequantised on the fly in
    // forward and backward; `weight` becomes an empty tensor. Not for a tied
    // projection (its weight is the embedding's).
    void quantizeNf4(const Nf4Options &options = {});
    bool isQuantized() const { return m_nf4 != nullptr; }
    // Holds the frozen weight in bf16 (half its f32 memory). Meant for CUDA
    // under bf16 autocast, which computes in bf16 anyway; elsewhere forward
    // casts it back to the input's dtype. Not for a tied projection.
    void storeBf16();
    // Bytes of the weight as stored now (f32, bf16 or NF4).
    std::int64_t weightBytes() const;

    torch::Tensor weight; // [out, in], or [in, out] when isConv1d()
    torch::Tensor bias; // [out] or undefined

private:
    std::int64_t m_in = 0;
    std::int64_t m_out = 0;
    bool m_conv1d = false;
    bool m_tied = false;
    std::shared_ptr<LinearAdapter> m_adapter;
    std::unique_ptr<Nf4Weight> m_nf4;
};
TORCH_MODULE(Linear);

} // namespace engine

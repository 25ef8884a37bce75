// Internal (Torch): the compute precision of a device for the lifetime of a
// scope. CUDA computes in bf16 under autocast on a GPU that has bf16, else in
// f32 (computeprecision.h); the CPU stays f32. Restores the previous mode and dtype, so scopes
// nest. Used by the trainer loop and the benchmark, so both run the same
// arithmetic on the same device. Version differences: core/torchcompat.h.
#pragma once

#include "engine/core/torchcompat.h"
#include "engine/train/computeprecision.h"

#include <torch/torch.h>

namespace engine {

class AutocastScope
{
public:
    explicit AutocastScope(const torch::Device &device)
        : AutocastScope(cudaBf16Autocast(device))
    { }
    // Turns CUDA bf16 autocast on for the scope when `cudaBf16`, else leaves
    // the mode alone (tests use it on machines without a GPU).
    explicit AutocastScope(bool cudaBf16)
        : m_enabled(cudaBf16)
        , m_wasEnabled(torchcompat::cudaAutocastEnabled())
        , m_previousDtype(torchcompat::cudaAutocastDtype())
    {
        if (m_enabled)
            torchcompat::setCudaAutocast(true, at::kBFloat16);
    }
    ~AutocastScope()
    {
        if (!m_enabled)
            return;
        torchcompat::setCudaAutocast(m_wasEnabled, m_previousDtype);
        if (!m_wasEnabled)
            at::autocast::clear_cache();
    }
    AutocastScope(const AutocastScope &) = delete;
    AutocastScope &operator=(const AutocastScope &) = delete;

private:
    bool m_enabled;
    bool m_wasEnabled;
    at::ScalarType m_previousDtype;
};

} // namespace engine

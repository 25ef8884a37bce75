// Internal (Torch): the compute precision of a device for the lifetime of a
// scope. CUDA computes in bf16 under autocast; the CPU stays f32. Restores the
// previous mode. Used by the trainer loop and the benchmark, so both run the
// same arithmetic on the same device.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

namespace engine {

class AutocastScope
{
public:
    explicit AutocastScope(const torch::Device &device)
        : m_enabled(device.is_cuda())
    {
        if (!m_enabled)
            return;
        at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
        at::autocast::set_enabled(true);
    }
    ~AutocastScope()
    {
        if (!m_enabled)
            return;
        at::autocast::set_enabled(false);
        at::autocast::clear_cache();
    }
    AutocastScope(const AutocastScope &) = delete;
    AutocastScope &operator=(const AutocastScope &) = delete;

private:
    bool m_enabled;
};

} // namespace engine

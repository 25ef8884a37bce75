// Internal (Torch): RMSNorm as in transformers' LlamaRMSNorm:
// weight * x / sqrt(mean(x^2) + eps) over the last dimension, in f32. Used for
// the Llama-family layer norms and for Qwen3's per-head q_norm / k_norm.
#pragma once

#include <torch/torch.h>

namespace engine {

class RmsNormImpl : public torch::nn::Module
{
public:
    RmsNormImpl(std::int64_t size, double eps);
    torch::Tensor forward(const torch::Tensor &x); // (..., size) -> (..., size)

    torch::Tensor weight; // [size]

private:
    double m_eps;
};
TORCH_MODULE(RmsNorm);

} // namespace engine

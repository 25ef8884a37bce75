// Internal (Torch): RMSNorm as in transformers' LlamaRMSNorm:
// weight * x / sqrt(mean(x^2) + eps) over the last dimension, in f32. Used for
// the Llama-family layer norms and for Qwen3's per-head q_norm / k_norm. With
// plusOne the scale is (1 + weight), as in transformers' GemmaRMSNorm, whose
// stored weights are centred on 0.
#pragma once

#include <torch/torch.h>

namespace engine {

class RmsNormImpl : public torch::nn::Module
{
public:
    RmsNormImpl(std::int64_t size, double eps, bool plusOne = false);
    torch::Tensor forward(const torch::Tensor &x); // (..., size) -> (..., size)

    torch::Tensor weight; // [size]

private:
    double m_eps;
    bool m_plusOne;
};
TORCH_MODULE(RmsNorm);

} // namespace engine

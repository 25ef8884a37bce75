#include "engine/model/attention.h"

#include "engine/core/torchcompat.h"
#include "engine/model/cpuattention.h"

#include <cmath>
#include <limits>

namespace engine {

torch::Tensor blockedKeys(
    std::int64_t T, std::int64_t S, std::int64_t start, std::int64_t window, const torch::Device &device)
{
    const auto options = torch::TensorOptions().dtype(torch::kInt64).device(device);
    const torch::Tensor queryPos = torch::arange(start, start + T, options).unsqueeze(1);       // (T, 1)
    const torch::Tensor keyPos = torch::arange(start + T - S, start + T, options).unsqueeze(0); // (1, S)
    torch::Tensor blocked = keyPos > queryPos; // (T, S)
    if (window > 0)
        blocked = blocked.logical_or(queryPos - keyPos >= window);
    return blocked;
}

torch::Tensor causalAttention(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v,
    std::int64_t start, std::int64_t window, double scale, double softcap)
{
    const std::int64_t headDim = q.size(3);
    if (scale <= 0.0)
        scale = 1.0 / std::sqrt(static_cast<double>(headDim));
    if (cpuAttentionSupports(q) && k.scalar_type() == q.scalar_type() && v.scalar_type() == q.scalar_type())
        return cpuCausalAttention(q, k, v, start, window, scale, softcap); // (B, nh, T, hd)
    // CUDA: the fused flash / memory-efficient kernels, when queries and keys
    // cover the same positions (training, a prompt without cache), no window,
    // the default scale and no soft-capping.
    const bool defaultScale = scale == 1.0 / std::sqrt(static_cast<double>(headDim));
    if (torchcompat::kHasSdpa && q.is_cuda() && window == 0 && q.size(2) == k.size(2) && defaultScale
        && softcap <= 0.0)
        return torchcompat::sdpaCausal(q, k, v); // (B, nh, T, hd)
    const std::int64_t T = q.size(2), S = k.size(2);
    const std::int64_t groups = q.size(1) / k.size(1);
    const torch::Tensor keys = groups > 1 ? k.repeat_interleave(groups, 1) : k; // (B, nh, S, hd)
    const torch::Tensor values = groups > 1 ? v.repeat_interleave(groups, 1) : v; // (B, nh, S, hd)

    torch::Tensor scores = torch::matmul(q, keys.transpose(-2, -1)) * scale; // (B, nh, T, S)
    if (softcap > 0.0)
        scores = torch::tanh(scores / softcap) * softcap; // (B, nh, T, S)
    const torch::Tensor blocked = blockedKeys(T, S, start, window, q.device()); // (T, S)
    scores = scores.masked_fill(blocked, -std::numeric_limits<float>::infinity());
    const torch::Tensor probs = torch::softmax(scores, -1); // (B, nh, T, S)
    return torch::matmul(probs, values); // (B, nh, T, hd)
}

} // namespace engine

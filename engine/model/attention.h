// Internal (Torch): scaled dot-product attention with a causal (and optionally
// sliding-window) mask, shared by the GPT-2 and Llama-family networks. Handles
// grouped-query attention by repeating each key/value head, and queries that
// start after cached keys. Scores are q·k scaled by `scale` (0: 1/sqrt(hd)) and,
// with softcap > 0, soft-capped to softcap·tanh(score/softcap) before the mask
// (Gemma 2). Computes in the input dtype; f32 on the CPU goes to the fused
// per-head kernel of cpuattention.h, CUDA (LibTorch 2.0+, no window, no cached
// keys, default scale, no soft-capping) to at::scaled_dot_product_attention.
#pragma once

#include <torch/torch.h>

namespace engine {

// q (B, nh, T, hd), k and v (B, nkv, S, hd) with nh a multiple of nkv. The
// queries sit at absolute positions start .. start+T-1, the keys at the last S
// positions ending with start+T-1. A query sees keys at positions <= its own,
// and with window > 0 only the `window` most recent (its own included).
// Returns (B, nh, T, hd).
// Keys a query may not see under that rule: (T, S) bool on `device`, true where blocked.
torch::Tensor blockedKeys(std::int64_t T, std::int64_t S, std::int64_t start, std::int64_t window,
    const torch::Device &device = torch::kCPU);

torch::Tensor causalAttention(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v,
    std::int64_t start, std::int64_t window = 0, double scale = 0.0, double softcap = 0.0);

} // namespace engine

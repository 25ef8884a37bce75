// Internal (Torch): causal attention on the CPU as one autograd function,
// parallel over heads. Each thread runs its heads' products single-threaded
// (OpenBLAS inside LibTorch's OpenMP region), with the causal (and sliding
// window) mask applied to each head's scores in place, so no (T, S) mask,
// scaled copy or masked copy of the scores is made per head, grouped-query
// heads read their shared key/value head without repeating it, and the output
// is written in (B, T, nh, hd) order, which the output projection reads
// without another copy. Keeps the probabilities P for backward. Scores are
// scaled by `scale`; with softcap > 0 they are soft-capped (cap·tanh(s/cap),
// Gemma 2) in place, and backward recomputes the tanh from q and k.
// Shape letters: B batch, nh query heads, nkv key/value heads, T queries,
// S keys, hd head width.
#pragma once

#include <torch/torch.h>

namespace engine {

// Whether cpuCausalAttention handles these inputs (CPU, f32).
bool cpuAttentionSupports(const torch::Tensor &q);

// The same contract as causalAttention (attention.h): q (B, nh, T, hd), k and
// v (B, nkv, S, hd), any strides; scale 0 means 1/sqrt(hd).
// Returns (B, nh, T, hd) as a transposed view of a (B, T, nh, hd) tensor.
torch::Tensor cpuCausalAttention(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v,
    std::int64_t start, std::int64_t window, double scale = 0.0, double softcap = 0.0);

} // namespace engine

// Internal (Torch): the element-wise parts of a decoder layer as single
// autograd functions. Composed from LibTorch ops, each is 5-15 passes over its
// activations forward and backward plus the intermediates autograd keeps; on
// the CPU in f32 each here is one pass forward and one backward, on the
// intra-op threads, keeping only its inputs (RMSNorm: and one scale per row).
// Elsewhere (CUDA, bf16, f16) each computes the same function from LibTorch
// ops. tests/engine/model/test_fusedops.cpp checks values and gradients
// against a double-precision reference.
#pragma once

#include <torch/torch.h>

namespace engine {

// weight · x / sqrt(mean(x²) + eps) over the last dimension, computed in f32
// (transformers' LlamaRMSNorm). x (..., n), weight (n) -> (..., n).
torch::Tensor rmsNorm(const torch::Tensor &x, const torch::Tensor &weight, double eps);

// silu(gate) · up, the gated MLP of the Llama family. Same shapes in and out.
torch::Tensor swiGlu(const torch::Tensor &gate, const torch::Tensor &up);

// geluTanh(gate) · up, the gated MLP of the Gemma family (GeGLU). Same shapes in and out.
torch::Tensor geGlu(const torch::Tensor &gate, const torch::Tensor &up);

// GELU with the tanh approximation (GPT-2's "gelu_new"):
// x/2 · (1 + tanh(√(2/π)(x + 0.044715x³))), computed as x · sigmoid(2·…).
torch::Tensor geluTanh(const torch::Tensor &x);

// Rotary position embedding in the rotate_half convention, applied to
// per-token heads and returned head-major: x (B, T, h, hd) and cos, sin
// (T, hd) -> x·cos + rotate_half(x)·sin as (B, h, T, hd), contiguous.
torch::Tensor rotaryHeads(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin);

} // namespace engine

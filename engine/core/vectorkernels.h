// The engine's hot element loops on raw f32 arrays, one call per contiguous
// range or row; the autograd functions around them (engine/model/fusedops.cpp,
// engine/lora/lorabranch.cpp) split the work over the intra-op threads.
// vectorkernels.cpp is built on its own (no precompiled header, no unity
// batch) with -fno-trapping-math, which GCC needs to vectorise the clamps and
// roundings in them, and with AVX-512 and AVX2 copies of every loop beside
// the baseline one, picked at load time (GCC on Linux).
#pragma once

#include <cstdint>

namespace engine::kernels {

// out[i] = x[i]·scale where the hash of element first + i is kept, else 0.
// The hash: the element index times a golden-ratio constant, xor the key,
// through the two multiply-xorshift rounds of "lowbias32"; its top 16 bits
// are compared with the threshold. x may be out.
void dropoutMask(const float *x, float *out, std::int64_t first, std::int64_t n, std::uint32_t threshold, float scale,
    std::uint32_t key);

// Σ a[i]·b[i], in 16 partial sums (so the loop vectorises without reordering one sum).
float dot(const float *a, const float *b, std::int64_t n);

// Σ a[i]·b[i]·c[i], as dot().
float dot3(const float *a, const float *b, const float *c, std::int64_t n);

// RMSNorm of one row: y = w · (x · r).
void rmsNormRow(const float *x, const float *w, float r, float *y, std::int64_t n);

// Its gradient: dx = r · (g · w) − c · x.
void rmsNormGradRow(const float *g, const float *w, const float *x, float r, float c, float *dx, std::int64_t n);

// y = silu(g) · u, and the gradients dg, du for the output gradient go.
void swiGlu(const float *g, const float *u, float *y, std::int64_t n);
void swiGluGrad(const float *go, const float *g, const float *u, float *dg, float *du, std::int64_t n);

// y = x · sigmoid(2√(2/π)(x + 0.044715x³)), which is the tanh form of GELU,
// and its gradient dx for the output gradient go.
void geluTanh(const float *x, float *y, std::int64_t n);
void geluTanhGrad(const float *go, const float *x, float *dx, std::int64_t n);
// y = geluTanh(g)·u (Gemma's GeGLU) and its gradients dg, du.
void geGlu(const float *g, const float *u, float *y, std::int64_t n);
void geGluGrad(const float *go, const float *g, const float *u, float *dg, float *du, std::int64_t n);

// One head of one token, rotate_half convention with half = head_dim / 2:
// y[i] = x[i]·cos[i] − x[i + half]·sin[i] for i < half, + x[i − half]·sin[i] after;
// and its transpose for the gradient.
void rotateHalf(const float *x, const float *cos, const float *sin, float *y, std::int64_t half);
void rotateHalfGrad(const float *g, const float *cos, const float *sin, float *dx, std::int64_t half);

// e^x as the loops above compute it (for tests): relative error about 2e-7 on
// [-87.3, 88.3]; x is clamped to that range, so the result is never 0 or ∞.
float exp(float x);

} // namespace engine::kernels

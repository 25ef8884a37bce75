#include "engine/core/vectorkernels.h"

#include <cmath>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__) && defined(__linux__) && defined(__x86_64__)
#define LF_VECTOR_LOOP                                                                                                 \
    __attribute__((target_clones("avx512f", "avx2", "default"), optimize("vect-cost-model=dynamic")))
#else
#define LF_VECTOR_LOOP
#endif

namespace engine::kernels {

namespace {

inline float bitsToFloat(std::uint32_t bits)
{
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

// Branch-free, so the loops calling it vectorise: x = n·ln 2 + r with
// |r| ≤ ln 2 / 2, e^r by its Taylor series to r⁷ (the truncation error
// r⁸/8! is below 1e-8), times 2ⁿ built in the exponent bits. The clamp keeps
// 2ⁿ a normal float.
inline float expInline(float x)
{
    x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    const float n = std::floor(x * 1.44269504088896341f + 0.5f);
    const float r = (x - n * 0.693145751953125f) - n * 1.42860682030941723e-6f; // ln 2 in two parts
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const auto exponent = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127) << 23;
    return p * bitsToFloat(exponent);
}

inline float sigmoid(float x)
{
    return 1.0f / (1.0f + expInline(-x));
}

constexpr float kGeluC = 0.7978845608028654f; // √(2/π)
constexpr float kGeluA = 0.044715f;

} // namespace

float exp(float x)
{
    return expInline(x);
}

LF_VECTOR_LOOP void dropoutMask(const float *x, float *out, std::int64_t first, std::int64_t n,
    std::uint32_t threshold, float scale, std::uint32_t key)
{
    const auto base = static_cast<std::uint32_t>(first);
    for (std::int64_t i = 0; i < n; ++i) {
        std::uint32_t h = (base + static_cast<std::uint32_t>(i)) * 0x9E3779B1u ^ key;
        h ^= h >> 16;
        h *= 0x7FEB352Du;
        h ^= h >> 15;
        h *= 0x846CA68Bu;
        h ^= h >> 16;
        out[i] = x[i] * ((h >> 16) >= threshold ? scale : 0.0f);
    }
}

LF_VECTOR_LOOP float dot(const float *a, const float *b, std::int64_t n)
{
    float lanes[16] = {};
    std::int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j)
            lanes[j] += a[i + j] * b[i + j];
    float sum = 0.0f;
    for (; i < n; ++i)
        sum += a[i] * b[i];
    for (const float lane : lanes)
        sum += lane;
    return sum;
}

LF_VECTOR_LOOP float dot3(const float *a, const float *b, const float *c, std::int64_t n)
{
    float lanes[16] = {};
    std::int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j)
            lanes[j] += a[i + j] * b[i + j] * c[i + j];
    float sum = 0.0f;
    for (; i < n; ++i)
        sum += a[i] * b[i] * c[i];
    for (const float lane : lanes)
        sum += lane;
    return sum;
}

LF_VECTOR_LOOP void rmsNormRow(const float *x, const float *w, float r, float *y, std::int64_t n)
{
    for (std::int64_t i = 0; i < n; ++i)
        y[i] = w[i] * (x[i] * r);
}

LF_VECTOR_LOOP void rmsNormGradRow(
    const float *g, const float *w, const float *x, float r, float c, float *dx, std::int64_t n)
{
    for (std::int64_t i = 0; i < n; ++i)
        dx[i] = r * (g[i] * w[i]) - c * x[i];
}

LF_VECTOR_LOOP void swiGlu(const float *g, const float *u, float *y, std::int64_t n)
{
    for (std::int64_t i = 0; i < n; ++i)
        y[i] = g[i] * sigmoid(g[i]) * u[i];
}

// d/dg silu(g) = s·(1 + g·(1 − s)) with s = sigmoid(g).
LF_VECTOR_LOOP void swiGluGrad(const float *go, const float *g, const float *u, float *dg, float *du, std::int64_t n)
{
    for (std::int64_t i = 0; i < n; ++i) {
        const float s = sigmoid(g[i]);
        du[i] = go[i] * g[i] * s;
        dg[i] = go[i] * u[i] * s * (1.0f + g[i] * (1.0f - s));
    }
}

LF_VECTOR_LOOP void geluTanh(const float *x, float *y, std::int64_t n)
{
    for (std::int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        y[i] = v * sigmoid(2.0f * kGeluC * (v + kGeluA * v * v * v));
    }
}

// y = x·s with s = sigmoid(z), z = 2c(x + a·x³): dy/dx = s + x·s·(1 − s)·2c·(1 + 3a·x²).
LF_VECTOR_LOOP void geluTanhGrad(const float *go, const float *x, float *dx, std::int64_t n)
{
    for (std::int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        const float s = sigmoid(2.0f * kGeluC * (v + kGeluA * v * v * v));
        dx[i] = go[i] * (s + v * s * (1.0f - s) * 2.0f * kGeluC * (1.0f + 3.0f * kGeluA * v * v));
    }
}

LF_VECTOR_LOOP void geGlu(const float *g, const float *u, float *y, std::int64_t n)
{
    for (std::int64_t i = 0; i < n; ++i) {
        const float v = g[i];
        y[i] = v * sigmoid(2.0f * kGeluC * (v + kGeluA * v * v * v)) * u[i];
    }
}

// y = gelu(g)·u: du = go·gelu(g), dg = go·u·gelu'(g) (gelu' as in geluTanhGrad).
LF_VECTOR_LOOP void geGluGrad(const float *go, const float *g, const float *u, float *dg, float *du, std::int64_t n)
{
    for (std::int64_t i = 0; i < n; ++i) {
        const float v = g[i];
        const float s = sigmoid(2.0f * kGeluC * (v + kGeluA * v * v * v));
        du[i] = go[i] * v * s;
        dg[i] = go[i] * u[i] * (s + v * s * (1.0f - s) * 2.0f * kGeluC * (1.0f + 3.0f * kGeluA * v * v));
    }
}

LF_VECTOR_LOOP void rotateHalf(const float *x, const float *cos, const float *sin, float *y, std::int64_t half)
{
    for (std::int64_t i = 0; i < half; ++i)
        y[i] = x[i] * cos[i] - x[i + half] * sin[i];
    for (std::int64_t i = half; i < 2 * half; ++i)
        y[i] = x[i] * cos[i] + x[i - half] * sin[i];
}

// dx[j] = g[j]·cos[j] + g[j + half]·sin[j + half] for j < half, − g[j − half]·sin[j − half] after.
LF_VECTOR_LOOP void rotateHalfGrad(const float *g, const float *cos, const float *sin, float *dx, std::int64_t half)
{
    for (std::int64_t j = 0; j < half; ++j)
        dx[j] = g[j] * cos[j] + g[j + half] * sin[j + half];
    for (std::int64_t j = half; j < 2 * half; ++j)
        dx[j] = g[j] * cos[j] - g[j - half] * sin[j - half];
}

} // namespace engine::kernels

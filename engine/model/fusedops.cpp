// The fused element-wise ops: the loops of engine/core/vectorkernels.h over
// contiguous f32, split over the intra-op threads by rows or element ranges,
// inside autograd functions that keep only their inputs.
#include "engine/model/fusedops.h"

#include "engine/core/vectorkernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

namespace engine {

namespace {

constexpr std::int64_t kGrain = 1 << 14; // elements per task, ~64 KiB of each operand

bool fusedOnCpu(const torch::Tensor &t)
{
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat32;
}

// Splits `rows` rows of `width` elements over the intra-op threads.
template <typename RowTask>
void forEachRow(std::int64_t rows, std::int64_t width, const RowTask &task)
{
    const std::int64_t grain = std::max<std::int64_t>(1, kGrain / std::max<std::int64_t>(1, width));
    at::parallel_for(0, rows, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end; ++row)
            task(row);
    });
}

// ---- RMSNorm -----------------------------------------------------------------

torch::Tensor composedRmsNorm(const torch::Tensor &x, const torch::Tensor &weight, double eps)
{
    const torch::Tensor h = x.to(torch::kFloat32); // (..., n)
    const torch::Tensor normed = h * torch::rsqrt(h.pow(2).mean(-1, true) + eps); // (..., n)
    return weight * normed.to(x.scalar_type()); // (..., n)
}

class RmsNormFunction : public torch::autograd::Function<RmsNormFunction>
{
public:
    static torch::Tensor forward(
        torch::autograd::AutogradContext *ctx, const torch::Tensor &x, const torch::Tensor &weight, double eps)
    {
        const torch::Tensor in = x.contiguous(); // (..., n)
        const torch::Tensor w = weight.contiguous(); // (n)
        const std::int64_t n = in.size(-1), rows = n > 0 ? in.numel() / n : 0;
        torch::Tensor out = torch::empty_like(in); // (..., n)
        torch::Tensor rstd = torch::empty({ rows }); // (rows), 1 / sqrt(mean(x²) + eps)
        const float *xp = in.data_ptr<float>(), *wp = w.data_ptr<float>();
        float *yp = out.data_ptr<float>(), *rp = rstd.data_ptr<float>();
        forEachRow(rows, n, [&](std::int64_t row) {
            const float *xr = xp + row * n;
            const double meanSquare = static_cast<double>(kernels::dot(xr, xr, n)) / static_cast<double>(n);
            rp[row] = static_cast<float>(1.0 / std::sqrt(meanSquare + eps));
            kernels::rmsNormRow(xr, wp, rp[row], yp + row * n, n);
        });
        ctx->save_for_backward({ in, w, rstd });
        return out;
    }

    static torch::autograd::variable_list backward(
        torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor &in = saved[0], &w = saved[1], &rstd = saved[2];
        const torch::Tensor g = grads[0].contiguous(); // (..., n)
        const std::int64_t n = in.size(-1), rows = n > 0 ? in.numel() / n : 0;
        torch::Tensor dx = torch::empty_like(in); // (..., n)
        const float *xp = in.data_ptr<float>(), *wp = w.data_ptr<float>(), *gp = g.data_ptr<float>();
        const float *rp = rstd.data_ptr<float>();
        float *dxp = dx.data_ptr<float>();
        // y = w·x·r with r = (mean(x²) + eps)^-½, so dr/dx = −r³·x/n and
        // dx = r·(g·w) − x · r³ · Σ(g·w·x) / n.
        forEachRow(rows, n, [&](std::int64_t row) {
            const float *xr = xp + row * n, *gr = gp + row * n;
            const float r = rp[row];
            const float c = r * r * r * kernels::dot3(gr, wp, xr, n) / static_cast<float>(n);
            kernels::rmsNormGradRow(gr, wp, xr, r, c, dxp + row * n, n);
        });
        torch::Tensor dw;
        if (ctx->needs_input_grad(1)) // a trained norm weight: Σ over rows of g·x·r
            dw = (g.view({ rows, n }) * in.view({ rows, n }) * rstd.unsqueeze(1)).sum(0); // (n)
        return { dx, dw, torch::Tensor() };
    }
};

// ---- SwiGLU, GeGLU and GELU ----------------------------------------------------------

// Runs kernel(first, count) over [0, n) on the intra-op threads.
template <typename Kernel>
void forEachRange(std::int64_t n, const Kernel &kernel)
{
    at::parallel_for(0, n, kGrain, [&](std::int64_t begin, std::int64_t end) { kernel(begin, end - begin); });
}

using GatedKernel = void (*)(const float *g, const float *u, float *y, std::int64_t n);
using GatedGradKernel = void (*)(const float *go, const float *g, const float *u, float *dg, float *du, std::int64_t n);

// act(gate) ⊙ up with its gradient, for one pair of element-wise kernels (SwiGLU, GeGLU).
template <GatedKernel Kernel, GatedGradKernel GradKernel>
class GatedActivationFunction : public torch::autograd::Function<GatedActivationFunction<Kernel, GradKernel>>
{
public:
    static torch::Tensor forward(
        torch::autograd::AutogradContext *ctx, const torch::Tensor &gate, const torch::Tensor &up)
    {
        const torch::Tensor g = gate.contiguous(), u = up.contiguous();
        torch::Tensor out = torch::empty_like(g);
        const float *gp = g.data_ptr<float>(), *up_ = u.data_ptr<float>();
        float *yp = out.data_ptr<float>();
        forEachRange(g.numel(), [&](std::int64_t i, std::int64_t n) { Kernel(gp + i, up_ + i, yp + i, n); });
        ctx->save_for_backward({ g, u });
        return out;
    }

    static torch::autograd::variable_list backward(
        torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor &g = saved[0], &u = saved[1];
        const torch::Tensor go = grads[0].contiguous();
        torch::Tensor dg = torch::empty_like(g), du = torch::empty_like(u);
        const float *gop = go.data_ptr<float>(), *gp = g.data_ptr<float>(), *up_ = u.data_ptr<float>();
        float *dgp = dg.data_ptr<float>(), *dup = du.data_ptr<float>();
        forEachRange(g.numel(), [&](std::int64_t i, std::int64_t n) {
            GradKernel(gop + i, gp + i, up_ + i, dgp + i, dup + i, n);
        });
        return { dg, du };
    }
};

using SwiGluFunction = GatedActivationFunction<kernels::swiGlu, kernels::swiGluGrad>;
using GeGluFunction = GatedActivationFunction<kernels::geGlu, kernels::geGluGrad>;

class GeluTanhFunction : public torch::autograd::Function<GeluTanhFunction>
{
public:
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x)
    {
        const torch::Tensor in = x.contiguous();
        torch::Tensor out = torch::empty_like(in);
        const float *xp = in.data_ptr<float>();
        float *yp = out.data_ptr<float>();
        forEachRange(in.numel(), [&](std::int64_t i, std::int64_t n) { kernels::geluTanh(xp + i, yp + i, n); });
        ctx->save_for_backward({ in });
        return out;
    }

    static torch::autograd::variable_list backward(
        torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
    {
        const torch::Tensor in = ctx->get_saved_variables()[0];
        const torch::Tensor go = grads[0].contiguous();
        torch::Tensor dx = torch::empty_like(in);
        const float *gop = go.data_ptr<float>(), *xp = in.data_ptr<float>();
        float *dxp = dx.data_ptr<float>();
        forEachRange(in.numel(), [&](std::int64_t i, std::int64_t n) { kernels::geluTanhGrad(gop + i, xp + i, dxp + i, n); });
        return { dx };
    }
};

// ---- Rotary -------------------------------------------------------------------

torch::Tensor composedRotary(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin)
{
    const torch::Tensor heads = x.transpose(1, 2); // (B, h, T, hd)
    const std::int64_t half = heads.size(-1) / 2;
    const torch::Tensor rotated = torch::cat({ -heads.slice(-1, half), heads.slice(-1, 0, half) }, -1);
    return heads * cos + rotated * sin; // (B, h, T, hd)
}

// Calls task(tokenMajor, headMajor, table) for every batch row b, position t
// and head: the offsets of that head's hd values in the (B, T, h, hd) and
// (B, h, T, hd) layouts, and of position t's row in the (T, hd) tables.
template <typename Task>
void forEachTokenHead(std::int64_t B, std::int64_t T, std::int64_t h, std::int64_t hd, const Task &task)
{
    forEachRow(B * T, h * hd, [&](std::int64_t row) {
        const std::int64_t b = row / T, t = row % T;
        for (std::int64_t head = 0; head < h; ++head)
            task((row * h + head) * hd, ((b * h + head) * T + t) * hd, t * hd);
    });
}

class RotaryFunction : public torch::autograd::Function<RotaryFunction>
{
public:
    // x (B, T, h, hd) -> (B, h, T, hd)
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x,
        const torch::Tensor &cos, const torch::Tensor &sin)
    {
        const torch::Tensor in = x.contiguous(), c = cos.contiguous(), s = sin.contiguous();
        const std::int64_t B = in.size(0), T = in.size(1), h = in.size(2), hd = in.size(3);
        torch::Tensor out = torch::empty({ B, h, T, hd }); // (B, h, T, hd)
        const float *xp = in.data_ptr<float>(), *cp = c.data_ptr<float>(), *sp = s.data_ptr<float>();
        float *yp = out.data_ptr<float>();
        forEachTokenHead(B, T, h, hd, [&](std::int64_t tokenMajor, std::int64_t headMajor, std::int64_t table) {
            kernels::rotateHalf(xp + tokenMajor, cp + table, sp + table, yp + headMajor, hd / 2);
        });
        ctx->save_for_backward({ c, s });
        return out;
    }

    static torch::autograd::variable_list backward(
        torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor &c = saved[0], &s = saved[1];
        const torch::Tensor g = grads[0].contiguous(); // (B, h, T, hd)
        const std::int64_t B = g.size(0), h = g.size(1), T = g.size(2), hd = g.size(3);
        torch::Tensor dx = torch::empty({ B, T, h, hd }); // (B, T, h, hd)
        const float *gp = g.data_ptr<float>(), *cp = c.data_ptr<float>(), *sp = s.data_ptr<float>();
        float *dxp = dx.data_ptr<float>();
        forEachTokenHead(B, T, h, hd, [&](std::int64_t tokenMajor, std::int64_t headMajor, std::int64_t table) {
            kernels::rotateHalfGrad(gp + headMajor, cp + table, sp + table, dxp + tokenMajor, hd / 2);
        });
        return { dx, torch::Tensor(), torch::Tensor() };
    }
};

} // namespace

torch::Tensor rmsNorm(const torch::Tensor &x, const torch::Tensor &weight, double eps)
{
    if (fusedOnCpu(x) && fusedOnCpu(weight) && x.dim() >= 1 && weight.dim() == 1 && weight.size(0) == x.size(-1))
        return RmsNormFunction::apply(x, weight, eps);
    return composedRmsNorm(x, weight, eps);
}

torch::Tensor swiGlu(const torch::Tensor &gate, const torch::Tensor &up)
{
    if (fusedOnCpu(gate) && fusedOnCpu(up) && gate.sizes() == up.sizes())
        return SwiGluFunction::apply(gate, up);
    return torch::silu(gate) * up;
}

torch::Tensor geGlu(const torch::Tensor &gate, const torch::Tensor &up)
{
    if (fusedOnCpu(gate) && fusedOnCpu(up) && gate.sizes() == up.sizes())
        return GeGluFunction::apply(gate, up);
    return torch::gelu(gate, "tanh") * up;
}

torch::Tensor geluTanh(const torch::Tensor &x)
{
    if (fusedOnCpu(x))
        return GeluTanhFunction::apply(x);
    return torch::gelu(x, "tanh");
}

torch::Tensor rotaryHeads(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin)
{
    const bool tables = fusedOnCpu(cos) && fusedOnCpu(sin) && cos.dim() == 2 && sin.sizes() == cos.sizes();
    if (fusedOnCpu(x) && x.dim() == 4 && x.size(3) % 2 == 0 && tables && cos.size(0) == x.size(1)
        && cos.size(1) == x.size(3))
        return RotaryFunction::apply(x, cos, sin);
    return composedRotary(x, cos, sin);
}

} // namespace engine

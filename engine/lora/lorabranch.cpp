// The fused LoRA branch: forward keeps x and h = dropout(x)·Aᵀ; backward
// makes the dropout mask again from its seed.
#include "engine/lora/lorabranch.h"

#include "engine/core/vectorkernels.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

namespace engine {

namespace {

// x ⊙ mask (or mask applied to x in place when out is x), on the intra-op threads.
thread_local std::int64_t t_firstToken = 0; // DropoutPosition

void applyMask(const torch::Tensor &x, torch::Tensor &out, double p, std::uint64_t seed, std::int64_t firstElement)
{
    const auto threshold = static_cast<std::uint32_t>(std::lround(std::clamp(p, 0.0, 1.0) * 65536.0));
    const float scale = p < 1.0 ? static_cast<float>(1.0 / (1.0 - p)) : 0.0f;
    const auto key = static_cast<std::uint32_t>(seed ^ (seed >> 32));
    const float *from = x.data_ptr<float>();
    float *to = out.data_ptr<float>();
    at::parallel_for(0, x.numel(), 1 << 15, [&](std::int64_t begin, std::int64_t end) {
        kernels::dropoutMask(from + begin, to + begin, firstElement + begin, end - begin, threshold, scale, key);
    });
}

std::int64_t seedAsInt(std::uint64_t seed)
{
    std::int64_t value = 0;
    std::memcpy(&value, &seed, sizeof value);
    return value;
}

std::uint64_t seedFromInt(std::int64_t value)
{
    std::uint64_t seed = 0;
    std::memcpy(&seed, &value, sizeof seed);
    return seed;
}

class LoraBranchFunction : public torch::autograd::Function<LoraBranchFunction>
{
public:
    // x (N, I), baseOut (N, O), A (R, I), B (O, R) -> (N, O)
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x,
        const torch::Tensor &baseOut, const torch::Tensor &A, const torch::Tensor &B, double scaling, double p,
        std::int64_t seed, std::int64_t firstElement)
    {
        const torch::Tensor in = x.contiguous(); // (N, I)
        const torch::Tensor dropped = p > 0.0 ? hashedDropout(in, p, seedFromInt(seed), firstElement) : in; // (N, I), not kept
        const torch::Tensor h = torch::mm(dropped, A.t());                                  // (N, R)
        ctx->save_for_backward({ in, h, A, B });
        ctx->saved_data["scaling"] = scaling;
        ctx->saved_data["p"] = p;
        ctx->saved_data["seed"] = seed;
        ctx->saved_data["first"] = firstElement;
        return torch::addmm(baseOut, h, B.t(), 1.0, scaling); // (N, O)
    }

    static torch::autograd::variable_list backward(
        torch::autograd::AutogradContext *ctx, torch::autograd::variable_list gradOutputs)
    {
        const torch::autograd::variable_list saved = ctx->get_saved_variables();
        const torch::Tensor &x = saved[0], &h = saved[1], &A = saved[2], &B = saved[3];
        const double scaling = ctx->saved_data["scaling"].toDouble();
        const double p = ctx->saved_data["p"].toDouble();
        const std::uint64_t seed = seedFromInt(ctx->saved_data["seed"].toInt());
        const std::int64_t first = ctx->saved_data["first"].toInt();
        const torch::Tensor g = gradOutputs[0].contiguous();            // (N, O)
        const torch::Tensor gradH = torch::mm(g, B).mul_(scaling);        // (N, R)
        torch::Tensor gradX, gradA, gradB;
        if (ctx->needs_input_grad(3))
            gradB = torch::mm(g.t(), h).mul_(scaling); // (O, R)
        if (ctx->needs_input_grad(2))
            gradA = torch::mm(gradH.t(), p > 0.0 ? hashedDropout(x, p, seed, first) : x); // (R, I), the mask made again
        if (ctx->needs_input_grad(0)) {
            gradX = torch::mm(gradH, A); // (N, I), through the dropped input
            if (p > 0.0)
                applyMask(gradX, gradX, p, seed, first);
        }
        return { gradX, ctx->needs_input_grad(1) ? g : torch::Tensor(), gradA, gradB, torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor() };
    }
};

} // namespace

bool loraBranchSupports(const torch::Tensor &x)
{
    return x.device().is_cpu() && x.scalar_type() == torch::kFloat;
}

std::uint64_t drawDropoutSeed()
{
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    return at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
}

torch::Tensor hashedDropout(const torch::Tensor &x, double p, std::uint64_t seed, std::int64_t firstElement)
{
    const torch::Tensor in = x.contiguous();
    torch::Tensor out = torch::empty_like(in);
    applyMask(in, out, p, seed, firstElement);
    return out;
}

DropoutPosition::DropoutPosition(std::int64_t firstToken)
    : m_previous(t_firstToken)
{
    t_firstToken = firstToken;
}

DropoutPosition::~DropoutPosition()
{
    t_firstToken = m_previous;
}

torch::Tensor loraBranch(const torch::Tensor &x, const torch::Tensor &baseOut, const torch::Tensor &A,
    const torch::Tensor &B, double scaling, double p, std::uint64_t seed)
{
    const torch::Tensor x2 = x.reshape({ -1, x.size(-1) });                 // (N, I)
    const torch::Tensor base2 = baseOut.reshape({ -1, baseOut.size(-1) });  // (N, O)
    const torch::Tensor y = LoraBranchFunction::apply(
        x2, base2, A, B, scaling, p, seedAsInt(seed), t_firstToken * x2.size(1)); // (N, O)
    return y.view(baseOut.sizes());
}

} // namespace engine

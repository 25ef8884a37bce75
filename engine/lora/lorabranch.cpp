// The fused LoRA branch: forward keeps x and h = dropout(x)·Aᵀ; backward
// makes the dropout mask again from its seed.
#include "engine/lora/lorabranch.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

namespace engine {

namespace {

// splitmix64's finaliser: a well-mixed 64-bit value for each counter.
inline std::uint64_t mixBits(std::uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// out[i] = x[i]·scale where lane i of the hash stream is >= threshold, else 0.
// Four 16-bit lanes per hash; work is split at multiples of four elements so
// every thread count cuts the stream the same way.
void maskInto(const float *x, float *out, std::int64_t n, std::uint32_t threshold, float scale, std::uint64_t seed)
{
    const std::int64_t quads = (n + 3) / 4;
    at::parallel_for(0, quads, 4096, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t q = begin; q < end; ++q) {
            std::uint64_t bits = mixBits(seed + static_cast<std::uint64_t>(q) * 0x9E3779B97F4A7C15ULL);
            const std::int64_t last = std::min(n, 4 * q + 4);
            for (std::int64_t i = 4 * q; i < last; ++i, bits >>= 16)
                out[i] = (bits & 0xFFFFu) >= threshold ? x[i] * scale : 0.0f;
        }
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
        std::int64_t seed)
    {
        const torch::Tensor dropped = p > 0.0 ? hashedDropout(x, p, seedFromInt(seed)) : x; // (N, I)
        const torch::Tensor h = torch::mm(dropped, A.t());                                // (N, R)
        ctx->save_for_backward({ x, h, A, B });
        ctx->saved_data["scaling"] = scaling;
        ctx->saved_data["p"] = p;
        ctx->saved_data["seed"] = seed;
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
        const torch::Tensor g = gradOutputs[0].contiguous();            // (N, O)
        const torch::Tensor gradH = torch::mm(g, B).mul_(scaling);        // (N, R)
        torch::Tensor gradX, gradA, gradB;
        if (ctx->needs_input_grad(3))
            gradB = torch::mm(g.t(), h).mul_(scaling); // (O, R)
        if (ctx->needs_input_grad(2))
            gradA = torch::mm(gradH.t(), p > 0.0 ? hashedDropout(x, p, seed) : x); // (R, I)
        if (ctx->needs_input_grad(0)) {
            gradX = torch::mm(gradH, A); // (N, I), through the dropped input
            if (p > 0.0)
                gradX = hashedDropout(gradX, p, seed);
        }
        return { gradX, ctx->needs_input_grad(1) ? g : torch::Tensor(), gradA, gradB, torch::Tensor(),
            torch::Tensor(), torch::Tensor() };
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

torch::Tensor hashedDropout(const torch::Tensor &x, double p, std::uint64_t seed)
{
    const torch::Tensor in = x.contiguous();
    torch::Tensor out = torch::empty_like(in);
    const auto threshold = static_cast<std::uint32_t>(std::lround(std::clamp(p, 0.0, 1.0) * 65536.0));
    const float scale = p < 1.0 ? static_cast<float>(1.0 / (1.0 - p)) : 0.0f;
    maskInto(in.data_ptr<float>(), out.data_ptr<float>(), in.numel(), threshold, scale, seed);
    return out;
}

torch::Tensor loraBranch(const torch::Tensor &x, const torch::Tensor &baseOut, const torch::Tensor &A,
    const torch::Tensor &B, double scaling, double p, std::uint64_t seed)
{
    const torch::Tensor x2 = x.reshape({ -1, x.size(-1) });                 // (N, I)
    const torch::Tensor base2 = baseOut.reshape({ -1, baseOut.size(-1) });  // (N, O)
    const torch::Tensor y = LoraBranchFunction::apply(x2, base2, A, B, scaling, p, seedAsInt(seed)); // (N, O)
    return y.view(baseOut.sizes());
}

} // namespace engine

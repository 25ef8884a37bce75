#include "engine/bench/sgemmrate.h"

#include "engine/core/stopwatch.h"

#include <torch/torch.h>

#include <algorithm>

namespace engine {

double measureSgemmGflops(std::int64_t n, int repeats, const std::string &device)
{
    torch::NoGradGuard noGrad;
    const torch::Device where(device);
    const auto options = torch::TensorOptions().device(where).dtype(where.is_cuda() ? torch::kBFloat16 : torch::kFloat);
    const torch::Tensor a = torch::randn({ n, n }, options); // (n, n)
    const torch::Tensor b = torch::randn({ n, n }, options); // (n, n)
    torch::Tensor c = torch::empty({ n, n }, options); // (n, n)
    torch::mm_out(c, a, b); // untimed: first-touch of c and thread start-up
    const auto wait = [&] {
        if (where.is_cuda())
            torch::cuda::synchronize(where.index()); // the product runs asynchronously there
    };
    wait();
    double best = 0.0;
    for (int i = 0; i < std::max(1, repeats); ++i) {
        const Stopwatch stopwatch;
        torch::mm_out(c, a, b);
        wait();
        const double seconds = stopwatch.seconds();
        if (seconds > 0.0)
            best = std::max(best, 2.0 * static_cast<double>(n) * n * n / seconds / 1e9);
    }
    return best;
}

} // namespace engine

#include "engine/bench/sgemmrate.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

namespace engine {

double measureSgemmGflops(std::int64_t n, int repeats)
{
    torch::NoGradGuard noGrad;
    const torch::Tensor a = torch::randn({ n, n }); // (n, n)
    const torch::Tensor b = torch::randn({ n, n }); // (n, n)
    torch::Tensor c = torch::empty({ n, n }); // (n, n)
    torch::mm_out(c, a, b); // untimed: first-touch of c and thread start-up
    double best = 0.0;
    for (int i = 0; i < std::max(1, repeats); ++i) {
        const auto start = std::chrono::steady_clock::now();
        torch::mm_out(c, a, b);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (seconds > 0.0)
            best = std::max(best, 2.0 * static_cast<double>(n) * n * n / seconds / 1e9);
    }
    return best;
}

} // namespace engine

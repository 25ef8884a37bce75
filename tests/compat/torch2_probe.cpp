// The 2.x side of engine/core/torchcompat.h on the CPU, against a LibTorch 2.x
// that is not the one CMake builds with (tests/compat/torch2_probe.sh compiles
// it against a PyPI wheel): the per-device autocast calls round-trip, and
// sdpaCausal (scaled_dot_product_attention, enable_gqa on 2.5+) equals an
// explicit masked-softmax attention with repeated key/value heads at 1e-5
// relative. Prints the figures; exits non-zero on a failure.
// Shape letters: B = batch, nh = heads, nkv = key/value heads, T = tokens, hd = head width.
#include "engine/core/torchcompat.h"

#include <cmath>
#include <iostream>
#include <limits>

namespace tc = engine::torchcompat;

namespace {

torch::Tensor reference(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v)
{
    const std::int64_t groups = q.size(1) / k.size(1), T = q.size(2);
    const torch::Tensor keys = k.repeat_interleave(groups, 1);   // (B, nh, T, hd)
    const torch::Tensor values = v.repeat_interleave(groups, 1); // (B, nh, T, hd)
    torch::Tensor scores = torch::matmul(q, keys.transpose(-2, -1)) / std::sqrt(double(q.size(3))); // (B, nh, T, T)
    scores = scores.masked_fill(torch::ones({ T, T }, torch::kBool).triu(1), -std::numeric_limits<float>::infinity());
    return torch::matmul(torch::softmax(scores, -1), values); // (B, nh, T, hd)
}

} // namespace

int main()
{
    int failures = 0;
    std::cout << "LibTorch headers " << tc::headerVersion() << ", C++ " << __cplusplus << ", sdpa " << tc::kHasSdpa
              << ", gqa " << tc::kSdpaHasGqa << "\n";
    const at::ScalarType initial = tc::cudaAutocastDtype();
    tc::setCudaAutocast(true, at::kHalf);
    failures += !(tc::cudaAutocastEnabled() && tc::cudaAutocastDtype() == at::kHalf);
    tc::setCudaAutocast(false, initial);
    failures += tc::cudaAutocastEnabled() || tc::cudaAutocastDtype() != initial;
    std::cout << "autocast round trip: " << (failures == 0 ? "ok" : "FAILED") << "\n";
    if (!tc::kHasSdpa) {
        std::cout << "no scaled_dot_product_attention in this LibTorch\n";
        return failures;
    }
    for (const int kvHeads : { 4, 2, 1 }) {
        torch::manual_seed(3);
        const torch::Tensor q = torch::randn({ 2, 4, 7, 8 });       // (B, nh, T, hd)
        const torch::Tensor k = torch::randn({ 2, kvHeads, 7, 8 }); // (B, nkv, T, hd)
        const torch::Tensor v = torch::randn({ 2, kvHeads, 7, 8 }); // (B, nkv, T, hd)
        const torch::Tensor expected = reference(q, k, v);
        const double error = ((tc::sdpaCausal(q, k, v) - expected).abs().max() / expected.abs().max()).item<double>();
        std::cout << "sdpaCausal, " << kvHeads << " key/value heads of 4: relative error " << error << "\n";
        failures += !(error < 1e-5);
    }
    failures += tc::builtWithCuda() || tc::cudaPeakAllocatedBytes(0).has_value();
    std::cout << (failures == 0 ? "PASS" : "FAIL") << "\n";
    return failures;
}

// Comparing tensors in tests: the largest absolute difference relative to the
// largest magnitude of the expected tensor (f32 tests hold it to ~1e-5).
#pragma once

#include <torch/torch.h>

namespace test {

inline double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return ((actual - expected).abs().max() / expected.abs().max().clamp_min(1e-12)).item<double>();
}

} // namespace test

// Internal (Torch): the matrix-product rate of this process — the ceiling
// the benchmark's model FLOP utilisation is measured against: f32 on the CPU,
// bf16 on CUDA (what training computes in there). Times torch::mm of two
// square matrices with the current intra-op thread count (on CUDA between
// device synchronisations) and returns the best rate of several runs.
#pragma once

#include <cstdint>
#include <string>

namespace engine {

// GFLOP/s of an (n×n)·(n×n) product on `device` (f32 on the CPU, bf16 on
// CUDA: the dtype training computes in there), best of at least `repeats`
// timed runs after one untimed run.
double measureSgemmGflops(std::int64_t n = 2048, int repeats = 3, const std::string &device = "cpu");

} // namespace engine

// Deterministic, platform-independent shuffling for epochs and splits: a
// Fisher-Yates shuffle driven by splitmix64 (std::shuffle's output differs
// between standard libraries, which would break resuming a checkpoint on
// another machine). Qt-free and Torch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace engine::data {

// 0..n-1 in an order fixed by `seed`.
std::vector<std::uint32_t> shuffledIndices(std::size_t n, std::uint64_t seed);

// Mixes two values into a new seed (e.g. the run seed and the epoch).
std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t value);

} // namespace engine::data

// splitmix64 + Fisher-Yates with rejection sampling (no modulo bias).
#include "engine/data/permutation.h"

#include <numeric>
#include <utility>

namespace engine::data {

namespace {

std::uint64_t splitmix64(std::uint64_t &state)
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Uniform in [0, bound).
std::uint64_t below(std::uint64_t bound, std::uint64_t &state)
{
    const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % bound);
    for (;;) {
        const std::uint64_t r = splitmix64(state);
        if (r < limit)
            return r % bound;
    }
}

} // namespace

std::vector<std::uint32_t> shuffledIndices(std::size_t n, std::uint64_t seed)
{
    std::vector<std::uint32_t> indices(n);
    std::iota(indices.begin(), indices.end(), 0u);
    std::uint64_t state = seed;
    for (std::size_t i = n; i > 1; --i)
        std::swap(indices[i - 1], indices[below(i, state)]);
    return indices;
}

std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t value)
{
    std::uint64_t state = seed ^ (value * 0xD1B54A32D192ED03ULL);
    return splitmix64(state);
}

} // namespace engine::data

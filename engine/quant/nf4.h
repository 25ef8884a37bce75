// Internal (Torch): 4-bit NormalFloat (NF4) weights as QLoRA stores a frozen
// base (methods.md §2.6). The weight is flattened row-major and split into
// blocks of 64; each block keeps its absolute maximum, and each element the
// index (0..15) of the nearest value of the NF4 code book after dividing by
// it, two indices per byte with the first element in the high nibble. With
// double quantisation the per-block maxima are themselves stored as 8-bit
// indices into bitsandbytes' signed dynamic map, in blocks of 256, after
// subtracting their mean. Memory per weight: 4 bits + 8/64 + 32/(64·256) bits.
//
// Dequantisation runs on the fly in every forward and backward (nf4Linear), so
// the f32 weight never stays in memory. On CPU it is one pass over the packed
// bytes; on other devices it is built from tensor operations, same results.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <vector>

namespace engine {

struct Nf4Options
{
    std::int64_t blockSize = 64;           // weights per absmax (32..4096)
    bool doubleQuantization = true;        // the absmax values as 8-bit codes
    std::int64_t absmaxBlockSize = 256;    // absmax values per second-level scale
};

struct Nf4Weight
{
    std::vector<std::int64_t> shape;    // of the original weight
    std::int64_t numel = 0;
    std::int64_t blockSize = 64;
    torch::Tensor packed;               // uint8 (ceil(numel / 2)): high nibble first
    // Without double quantisation: absmax f32 (blocks). With it: absmaxCodes
    // uint8 (blocks) into nf4DynamicMap(), absmaxScales f32 (ceil(blocks / 256))
    // and absmaxOffset, so absmax = map[code] · scale + offset.
    torch::Tensor absmax;
    torch::Tensor absmaxCodes;
    torch::Tensor absmaxScales;
    std::int64_t absmaxBlockSize = 256;
    double absmaxOffset = 0.0;

    bool doubleQuantized() const { return absmaxCodes.defined(); }
    std::int64_t blocks() const { return (numel + blockSize - 1) / blockSize; }
    // Bytes held by the tensors above.
    std::int64_t bytes() const;
};

// The 16 NF4 values, ascending, from -1 to 1 (bitsandbytes' table).
const std::array<float, 16> &nf4CodeBook();
// bitsandbytes' signed 8-bit dynamic map (create_dynamic_map(signed=True,
// max_exponent_bits=7, total_bits=8)): 256 values, ascending, in [-1, 1].
const std::array<float, 256> &nf4DynamicMap();

// Quantises a floating-point weight of any shape (contiguous or not).
Nf4Weight quantizeNf4(const torch::Tensor &weight, const Nf4Options &options = {});
// The per-block absmax values (f32, blocks), undoing double quantisation.
torch::Tensor nf4Absmax(const Nf4Weight &weight);
// The weight in f32, in its original shape, on the packed tensor's device.
torch::Tensor dequantizeNf4(const Nf4Weight &weight);

// y = x Wᵀ + b for an NF4 weight W stored [out, in] (transposed = false) or
// y = x W + b for W stored [in, out] (transposed = true, GPT-2's Conv1D).
// Differentiable in x only (the base is frozen); the backward pass
// dequantises W again instead of keeping it from the forward pass.
torch::Tensor nf4Linear(const torch::Tensor &x, const Nf4Weight &weight, const torch::Tensor &bias, bool transposed);

} // namespace engine

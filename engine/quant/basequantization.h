// Internal (Torch): QLoRA's frozen base. Quantises every decoder-layer
// projection of a model to NF4 (engine/quant/nf4.h); embeddings, norms and
// lm_head stay in full precision, as transformers keeps lm_head unquantised.
// Or, for CUDA under bf16 autocast, holds the same projections in bf16.
// Adapters attach as before (they see the projection's input and output), so
// quantise after LoraModel::inject when PiSSA is used (it rewrites the base).
#pragma once

#include "engine/model/causallm.h"
#include "engine/quant/nf4.h"

#include <cstdint>
#include <string>

namespace engine {

struct BaseQuantization
{
    int projections = 0;           // projections now stored as NF4 (or bf16)
    std::int64_t weights = 0;      // their weight count
    std::int64_t bytesBefore = 0;  // their weight bytes before (f32)
    std::int64_t bytesAfter = 0;   // and after, with the block constants
};

BaseQuantization quantizeBaseNf4(const CausalLm &model, const Nf4Options &options = {});

// The same projections held in bf16 (half of f32): what CUDA's bf16 autocast
// computes in anyway, so the numbers barely move and the autocast no longer
// recasts every frozen weight in every forward. Adapters and optimizer stay
// f32. Call after LoraModel::inject, as for NF4.
BaseQuantization storeBaseBf16(const CausalLm &model);

// What training.base_weights means on `device`: "auto" is "bf16" on CUDA and
// "f32" on the CPU; other values unchanged.
std::string resolveBaseWeights(const std::string &baseWeights, bool cuda);

} // namespace engine

// Internal (Torch): QLoRA's frozen base. Quantises every decoder-layer
// projection of a model to NF4 (engine/quant/nf4.h); embeddings, norms and
// lm_head stay in full precision, as transformers keeps lm_head unquantised.
// Adapters attach as before (they see the projection's input and output), so
// quantise after LoraModel::inject when PiSSA is used (it rewrites the base).
#pragma once

#include "engine/model/causallm.h"
#include "engine/quant/nf4.h"

#include <cstdint>

namespace engine {

struct BaseQuantization
{
    int projections = 0;           // projections now stored as NF4
    std::int64_t weights = 0;      // their weight count
    std::int64_t bytesBefore = 0;  // their weight bytes before (f32)
    std::int64_t bytesAfter = 0;   // and after, with the block constants
};

BaseQuantization quantizeBaseNf4(const CausalLm &model, const Nf4Options &options = {});

} // namespace engine

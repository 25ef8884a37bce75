// Internal (Torch): rotary position embeddings as transformers implements them
// for the Llama family: inverse frequencies from rope_theta (rescaled for the
// "linear" and "llama3" rope types; Phi-3's "longrope" switches from its short
// to its long factors when a pass reaches beyond original_max_position_embeddings
// and scales cos/sin by its attention factor, as transformers does per forward
// pass), over the rotated part of the head (partial_rotary_factor); Gemma 3's
// local layers use rope_local_base_freq without scaling. cos/sin tables per position, applied in
// the rotate_half convention (element i pairs with element i + head_dim/2;
// rotaryHeads() in fusedops.h applies them).
// Not the interleaved (2i, 2i+1) convention of Meta's original checkpoints.
#pragma once

#include "engine/model/modelconfig.h"

#include <torch/torch.h>

#include <utility>

namespace engine {

class Rotary
{
public:
    // local: the table of sliding-window layers (Gemma 3's rope_local_base_freq).
    explicit Rotary(const ModelConfig &config, bool local = false);

    // cos and sin for positions start .. start+count-1, each (count, rotary dim), f32.
    std::pair<torch::Tensor, torch::Tensor> cosSin(std::int64_t start, std::int64_t count) const;

    const torch::Tensor &inverseFrequencies() const { return m_invFreq; } // (hd/2)

private:
    torch::Tensor m_invFreq; // (rd/2)
    torch::Tensor m_longInvFreq; // (rd/2), longrope only
    std::int64_t m_longFrom = 0; // longrope: passes ending beyond this many positions use m_longInvFreq
    double m_attentionFactor = 1.0; // longrope: multiplies cos and sin
};

} // namespace engine

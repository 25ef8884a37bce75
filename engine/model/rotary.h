// Internal (Torch): rotary position embeddings as transformers implements them
// for the Llama family: inverse frequencies from rope_theta (rescaled for the
// "linear" and "llama3" rope types), cos/sin tables per position, applied in
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
    explicit Rotary(const ModelConfig &config);

    // cos and sin for positions start .. start+count-1, each (count, head_dim), f32.
    std::pair<torch::Tensor, torch::Tensor> cosSin(std::int64_t start, std::int64_t count) const;

    const torch::Tensor &inverseFrequencies() const { return m_invFreq; } // (hd/2)

private:
    torch::Tensor m_invFreq;
};

} // namespace engine

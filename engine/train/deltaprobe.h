// Internal (Torch): the LoRA+ paper's feature-update terms on a fixed probe
// batch. Before an optimizer step, capture() runs the probe batch (no grad,
// dropout off) to record every adapter's input x and copies A_{t−1}, B_{t−1};
// after the step, measure() gives per matrix the RMS over tokens and output
// features of δ1 = B_{t−1}(A_t − A_{t−1})x, δ2 = (B_t − B_{t−1})A_{t−1}x and
// δ3 = (B_t − B_{t−1})(A_t − A_{t−1})x (without the scaling α/r, as in the paper).
// Shape letters: N = probe tokens, I = in, O = out, R = rank.
#pragma once

#include "engine/lora/loramodel.h"
#include "engine/model/causallm.h"
#include "engine/train/stepmetrics.h"

#include <torch/torch.h>

#include <vector>

namespace engine {

class DeltaProbe
{
public:
    // probeIds (1, T) int64 on the model's device.
    DeltaProbe(const CausalLm &model, LoraModel &lora, torch::Tensor probeIds);

    void capture();
    // Fills delta1..3 of out[i] for matrix i.
    void measure(std::vector<MatrixMetrics> &out);

private:
    const CausalLm &m_model;
    LoraModel &m_lora;
    torch::Tensor m_ids;
    std::vector<torch::Tensor> m_inputs;         // x per matrix, (N, I)
    std::vector<torch::Tensor> m_a, m_b;         // A_{t−1}, B_{t−1}
};

} // namespace engine

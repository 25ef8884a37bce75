// Internal (Torch): the per-matrix figures of one optimizer step. Before the
// step, snapshot() keeps one flat copy of every A and B; after it, measure()
// gives ‖ΔA‖_F, ‖ΔB‖_F, ‖A‖_F and ‖B‖_F per adapted matrix with a handful of
// tensor ops however many matrices there are (segment sums over one flat
// buffer). gradientNorms() splits the gradient norm into its A and B parts.
// It does not compute the δ-terms (see DeltaProbe).
#pragma once

#include "engine/lora/loramodel.h"
#include "engine/train/stepmetrics.h"

#include <torch/torch.h>

#include <vector>

namespace engine {

struct GradientNorms
{
    double total = 0.0; // over every trainable parameter
    double a = 0.0;     // over the A matrices
    double b = 0.0;     // over the B matrices
};

class AdapterMetrics
{
public:
    explicit AdapterMetrics(const LoraModel &lora);

    void snapshot();
    // Fills the four norms of out[i] for matrix i (out has one entry per matrix).
    void measure(std::vector<MatrixMetrics> &out) const;
    // Norms of the current gradients (before clipping); `all` = every trainable parameter.
    GradientNorms gradientNorms(const std::vector<torch::Tensor> &all) const;

private:
    torch::Tensor flat(const std::vector<torch::Tensor> &tensors) const; // (P) all elements, concatenated
    torch::Tensor segmentNorms(const torch::Tensor &values, const torch::Tensor &segments) const; // (M)

    std::vector<torch::Tensor> m_a, m_b;
    torch::Tensor m_segmentsA, m_segmentsB; // (P_A), (P_B): matrix index of each element
    torch::Tensor m_previousA, m_previousB; // flat copies from snapshot()
    std::int64_t m_count = 0;
};

} // namespace engine

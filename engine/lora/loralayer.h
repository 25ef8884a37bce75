// Internal (Torch): one LoRA adapter on one projection (engine::Linear).
// Shapes as in PEFT: A (r, in), B (out, r), whatever the base layout (GPT-2's
// Conv1D keeps its [in, out] weight; only the merged delta is transposed).
// Output: base(x) + s·B·A·dropout(x) (on the CPU one fused autograd function,
// lorabranch.h), or DoRA's magnitude-scaled form. Merge
// folds s·B·A into the base weight; unmerge takes it out again.
// Shape letters: N = any leading dims, I = in features, O = out features, R = rank.
#pragma once

#include "engine/lora/loraconfig.h"
#include "engine/model/linear.h"
#include "engine/model/linearadapter.h"

#include <torch/torch.h>

namespace engine {

class LoraLayerImpl : public torch::nn::Module, public LinearAdapter
{
public:
    // Creates A, B (and DoRA's magnitude) for `base` and initialises them with
    // `generator` (PiSSA also rewrites the base weight to its residual).
    LoraLayerImpl(Linear base, int rank, double scaling, double dropout, LoraInit init, bool dora,
                  torch::Generator generator);

    torch::Tensor apply(const torch::Tensor &x, const torch::Tensor &baseOut) override;

    // s·B·A as an (O, I) matrix (f32, no grad).
    torch::Tensor deltaWeightOutIn() const;
    void merge();
    void unmerge();
    bool isMerged() const { return m_merged; }

    int rank() const { return m_rank; }
    double scaling() const { return m_scaling; }
    bool isDora() const { return magnitude.defined(); }
    const Linear &base() const { return m_base; }
    // While set, every apply() stores its input x as (N, I), detached, in *slot
    // (the δ-term probe reads the adapter inputs this way). nullptr stops it.
    void setInputCapture(torch::Tensor *slot) { m_capture = slot; }
    // While off, apply() returns the base output alone (the reference model of DPO).
    void setEnabled(bool enabled) { m_enabled = enabled; }

    torch::Tensor A;         // (R, I) lora_A.weight
    torch::Tensor B;         // (O, R) lora_B.weight
    torch::Tensor magnitude; // (O) DoRA lora_magnitude_vector, undefined without DoRA

private:
    torch::Tensor doraNorm() const; // ‖W + s·B·A‖ per output row, detached, (O)

    Linear m_base;
    int m_rank;
    double m_scaling;
    double m_dropout;
    bool m_merged = false;
    bool m_enabled = true;
    torch::Tensor m_mergedNorm; // DoRA: the norm used at merge time, for unmerge
    torch::Tensor *m_capture = nullptr;
};
TORCH_MODULE(LoraLayer);

} // namespace engine

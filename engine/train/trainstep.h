// Internal (Torch): one optimizer step of LoRA training, shared by the trainer
// loop and the benchmark: per micro-batch forward, summed causal-LM loss over
// the step's trained tokens and backward; gradient norms (split into A and B);
// the non-finite check; clipping; the schedule factor; then the AdamW step with
// the per-matrix figures and the δ-term probe around it when asked. Preference
// objectives replace the causal-LM loss by the pairs' loss. With a
// RankGroup the gradients and the loss are summed over the ranks between
// backward and the norms, so every rank clips and steps alike. It does not
// read data, evaluate, checkpoint, time, or count bad steps in a row.
#pragma once

#include "engine/dist/rankgroup.h"
#include "engine/model/causallm.h"
#include "engine/train/adaptermetrics.h"
#include "engine/train/deltaprobe.h"
#include "engine/train/loraplusoptimizer.h"
#include "engine/train/preferenceloss.h"
#include "engine/train/stepmetrics.h"

#include <torch/torch.h>

#include <vector>

namespace engine {

// What the step works on; the caller owns everything.
struct TrainStepParts
{
    const CausalLm &model;
    LoraPlusOptimizer &optimizer;
    const std::vector<torch::Tensor> &parameters; // every trainable tensor
    AdapterMetrics &adapterMetrics;
    DeltaProbe *probe = nullptr; // used only when TrainStepSettings::probing
    RankGroup *ranks = nullptr;  // data-parallel: sum gradients and loss over the ranks
    // Preference objectives (rows are chosen/rejected pairs); nullptr: the causal-LM loss.
    const PreferenceSettings *preference = nullptr;
    const PreferenceReference *reference = nullptr; // DPO's reference model
};

struct TrainStepSettings
{
    double lossDivisor = 1.0;    // the loss is summed over the micro-batches and divided by this: trained tokens (pairs)
    double maxGradNorm = 0.0;    // global-norm clipping; 0 disables it
    double scheduleFactor = 1.0; // multiplier of every group's base learning rate
    bool perMatrixMetrics = true; // ‖ΔA‖, ‖ΔB‖, ‖A‖, ‖B‖ per matrix (AdapterMetrics snapshot/measure)
    bool probing = false;        // δ1–δ3 on the probe batch (needs parts.probe)
    bool agreement = false;      // each B's gradient against its last update, for the automatic λ
    // Per micro-batch: where this rank's rows start in the whole batch, in
    // tokens (DropoutPosition); empty = 0 for all.
    std::vector<std::int64_t> firstTokens;
};

struct TrainStepResult
{
    double loss = 0.0;     // mean loss per trained token (preference: per pair) over the step
    PreferenceTotals preference; // preference objectives: the step's pairs
    GradientNorms norms;   // before clipping
    bool skipped = false;  // the loss or gradient was not finite: no update, gradients cleared
    double metricsMs = 0.0; // wall time of the metric work: gradient norms, per-matrix figures, δ probe
    double allReduceMs = 0.0; // wall time of the sum over ranks (0 in one process)
    std::vector<float> agreement; // per matrix (LoraPlusOptimizer::gradientAgreement), when asked for
};

// ids: one (B, T) int64 tensor per micro-batch, labels alike (-100 = no loss).
// matrices receives the per-matrix figures (one entry per adapted matrix) when measured.
TrainStepResult runTrainStep(const TrainStepParts &parts, const std::vector<torch::Tensor> &ids,
    const std::vector<torch::Tensor> &labels, const TrainStepSettings &settings, std::vector<MatrixMetrics> &matrices);

} // namespace engine

// What the trainer reports after every optimizer step: plain values, no tensors,
// so they can cross threads, be stored in project files and be plotted.
// Matrix-level values are indexed like the run's list of adapted matrices
// (TrainingPlan::matrixNames), in Hugging Face module names.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace engine {

constexpr float kNotMeasured = std::numeric_limits<float>::quiet_NaN();

// Per adapted matrix, for one optimizer step.
struct MatrixMetrics
{
    float deltaANorm = kNotMeasured; // ‖A_t − A_{t−1}‖_F, the change of A in this step
    float deltaBNorm = kNotMeasured; // ‖B_t − B_{t−1}‖_F
    float aNorm = kNotMeasured;      // ‖A_t‖_F
    float bNorm = kNotMeasured;      // ‖B_t‖_F
    // LoRA+ feature-update terms on the probe batch (only every probe_every steps),
    // RMS over tokens and output features: δ1 = B_{t−1}(ΔA)x, δ2 = (ΔB)A_{t−1}x, δ3 = (ΔB)(ΔA)x.
    float delta1 = kNotMeasured;
    float delta2 = kNotMeasured;
    float delta3 = kNotMeasured;
};

// Learning rate of one optimizer parameter group after the schedule.
struct GroupLearningRate
{
    std::string group; // "A", "B", "B_no_decay", "embedding", ...
    double lr = 0.0;
};

// The LoRA+ ratio λ = η_B/η_A in effect for a step, when it is automatic:
// key "all" for one λ, a module type ("q_proj") for one λ per type.
struct LoraPlusRatio
{
    std::string key;
    double ratio = 0.0;
};

// Preference objectives (DPO, ORPO): means over a step's (or the validation
// set's) pairs. Rewards are DPO's β·(log π − log π_ref) of each answer, or
// ORPO's λ·(mean token log-probability); log-probabilities are the answers'
// summed token log-probabilities under the trained model.
struct PreferenceMetrics
{
    double rewardChosen = kNotMeasured;
    double rewardRejected = kNotMeasured;
    double rewardMargin = kNotMeasured; // rewardChosen − rewardRejected
    double accuracy = kNotMeasured;     // share of pairs whose chosen reward is the higher (ties count half), [0, 1]
    double logpChosen = kNotMeasured;
    double logpRejected = kNotMeasured;
};

struct StepMetrics
{
    std::int64_t step = 0;         // optimizer steps done, 1-based
    std::int64_t totalSteps = 0;   // planned optimizer steps of the run
    double epoch = 0.0;            // fractional epoch position after this step
    double loss = 0.0;             // mean training loss over the step's tokens
    double evalLoss = std::numeric_limits<double>::quiet_NaN(); // validation loss, when computed at this step
    std::vector<GroupLearningRate> learningRates;
    std::vector<LoraPlusRatio> loraPlusRatios; // automatic λ only (optimizer.loraplus_ratio "auto")
    // Automatic λ only: the median over the B matrices of the cosine between
    // each gradient and its last update (LambdaController).
    double gradientAgreement = std::numeric_limits<double>::quiet_NaN();
    double gradNorm = 0.0;         // global gradient norm before clipping
    double gradNormA = 0.0;        // over all A matrices
    double gradNormB = 0.0;        // over all B matrices
    double tokensPerSecond = 0.0;  // trained tokens / wall time of this step
    double stepSeconds = 0.0;      // wall time of this step
    std::int64_t tokens = 0;       // trained (unmasked) tokens in this step
    bool skipped = false;          // NaN/Inf loss or gradient: the update was not applied
    int ranks = 1;                 // processes that trained this step together (data parallel)
    double allReduceSeconds = 0.0; // wall time of summing the gradients over the ranks (0 in one process)
    std::vector<MatrixMetrics> matrices; // one per adapted matrix, run order
    PreferenceMetrics preference;     // preference objectives: this step's pairs
    PreferenceMetrics evalPreference; // preference objectives: the validation pairs, when evaluated at this step
};

} // namespace engine

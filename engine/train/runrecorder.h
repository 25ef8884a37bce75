// RunRecorder: writes one training run into a project file — the run record
// when it starts, each drained batch of StepMetrics as metric rows (scalars
// "loss", "eval_loss", "lr_<group>", "grad_norm", "grad_norm_A", "grad_norm_B",
// "tokens_per_s", "step_s", "tokens", "skipped"; matrix kinds "dA_norm",
// "dB_norm", "A_norm", "B_norm", "delta1", "delta2", "delta3"; preference runs
// add "reward_chosen", "reward_rejected", "reward_margin", "preference_accuracy",
// "logp_chosen", "logp_rejected" and their "eval_" forms), eval results,
// checkpoints, and how it ended. Used by the app's drain (main thread) and by
// `lorafit-cli train`; never by the training thread itself. Qt-free.
#pragma once

#include "engine/core/status.h"
#include "engine/project/projectstore.h"
#include "engine/train/stepmetrics.h"
#include "engine/train/trainer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

// Metric names as stored (see the header comment).
namespace metricnames {
constexpr const char *kLoss = "loss";
constexpr const char *kEvalLoss = "eval_loss";
constexpr const char *kGradNorm = "grad_norm";
constexpr const char *kGradNormA = "grad_norm_A";
constexpr const char *kGradNormB = "grad_norm_B";
constexpr const char *kTokensPerSecond = "tokens_per_s";
constexpr const char *kStepSeconds = "step_s";
constexpr const char *kTokens = "tokens";
constexpr const char *kSkipped = "skipped";
constexpr const char *kRanks = "ranks";             // only for runs of several processes
constexpr const char *kAllReduceSeconds = "allreduce_s"; // likewise
constexpr const char *kDeltaANorm = "dA_norm";
constexpr const char *kDeltaBNorm = "dB_norm";
constexpr const char *kANorm = "A_norm";
constexpr const char *kBNorm = "B_norm";
constexpr const char *kDelta1 = "delta1";
constexpr const char *kDelta2 = "delta2";
constexpr const char *kDelta3 = "delta3";
constexpr const char *kRewardChosen = "reward_chosen";
constexpr const char *kRewardRejected = "reward_rejected";
constexpr const char *kRewardMargin = "reward_margin";
constexpr const char *kPreferenceAccuracy = "preference_accuracy";
constexpr const char *kLogpChosen = "logp_chosen";
constexpr const char *kLogpRejected = "logp_rejected";
constexpr const char *kEvalPrefix = "eval_"; // before a preference name: its value on the validation pairs
// "lr_" + group name, e.g. "lr_A", "lr_B".
std::string learningRate(const std::string &group);
// The automatic λ: "loraplus_ratio" for one λ (key "all"), "loraplus_ratio_q_proj" per module type.
std::string loraPlusRatio(const std::string &key);
constexpr const char *kLoraPlusRatioPrefix = "loraplus_ratio";
constexpr const char *kGradientAgreement = "b_agreement"; // automatic λ: B's gradients against their last updates
} // namespace metricnames

// "<project folder>/<project file stem>.runs": where a project's run folders go.
std::string runsFolderOf(const std::string &projectPath);
// A new, not yet existing folder "<runsFolder>/run-<UTC yyyymmdd-hhmmss>[-N]" (not created).
std::string newRunFolder(const std::string &runsFolder);

// The project-file form of one step.
StepRecord toStepRecord(const StepMetrics &metrics);

class RunRecorder
{
public:
    explicit RunRecorder(ProjectStore &store);

    // Creates the run (status Running) and returns its id; or, with resumeRunId,
    // marks that run as running again.
    Result<std::int64_t> begin(const std::string &name, const RunSettings &settings, const TrainingPlan &plan,
        std::int64_t resumeRunId = 0);
    // Appends a drained batch (one transaction) and any eval losses in it.
    Status record(const std::vector<StepMetrics> &batch);
    Status checkpoint(const CheckpointRecord &checkpoint);
    // Ends the run as Finished (Completed), Stopped, or Failed (Diverged or an error).
    Status finish(const TrainingOutcome &outcome);
    Status fail(const std::string &message);

    std::int64_t runId() const { return m_runId; }

private:
    ProjectStore &m_store;
    std::int64_t m_runId = 0;
};

} // namespace engine

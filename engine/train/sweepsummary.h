// What a sweep reports: per run its eval-loss curve, how it ended and how long
// it took; from those the comparison table (final and best eval loss, steps to
// reach plain LoRA's final eval loss, wall time) as text and as JSON, and the
// early-stop rule for runs far worse than earlier ones. Qt-free; computes from
// numbers the caller collected, runs nothing.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace engine {

struct SweepRunResult
{
    std::string label;                                      // "λ=16 lr=1e-3"
    std::vector<std::pair<std::string, std::string>> settings; // axis name → value as typed
    std::vector<std::pair<std::int64_t, double>> evalLosses;   // (step, eval loss), in step order
    std::string end;          // "completed", "stopped", "worse" (by the stop rule), "diverged", "failed", "interrupted"
    std::string message;      // why it ended, one line
    std::int64_t steps = 0;   // optimizer steps done
    double seconds = 0.0;     // wall time of the run
    std::optional<std::size_t> plainLora; // index of the run that is plain LoRA for this one

    double finalEvalLoss() const; // NaN when never evaluated
    double bestEvalLoss() const;  // the lowest finite one; NaN when none
};

// The first step at which `run` had an eval loss <= target; nullopt if never.
std::optional<std::int64_t> stepsToReach(const SweepRunResult &run, double target);

// One line of the comparison table.
struct SweepRow
{
    std::string label;
    std::vector<std::pair<std::string, std::string>> settings;
    double finalEvalLoss = std::numeric_limits<double>::quiet_NaN();
    double bestEvalLoss = std::numeric_limits<double>::quiet_NaN();
    std::optional<std::int64_t> stepsToPlainLora; // nullopt: no plain LoRA run, or never reached
    bool hasPlainLora = false;                    // whether the grid had a plain LoRA run for it
    double seconds = 0.0;
    std::string end;
};

std::vector<SweepRow> sweepTable(const std::vector<SweepRunResult> &runs);
// Aligned columns for a terminal; "—" where there is no number; the best final eval loss marked with '*'.
std::string sweepTableText(const std::vector<SweepRow> &rows);
// {"lorafit_sweep": 1, "runs": [{"label", "settings", "final_eval_loss", "best_eval_loss",
//  "steps_to_plain_lora", "seconds", "end"}, …]}; null where there is no number.
std::string sweepTableJson(const std::vector<SweepRow> &rows);
// The index of the row with the lowest final eval loss; nullopt when none has one.
std::optional<std::size_t> bestSweepRow(const std::vector<SweepRow> &rows);

// Stops a run whose eval loss is NaN/Inf or more than `factor` times the best
// eval loss an earlier run had at the same step. factor <= 0: never stops.
class SweepStopRule
{
public:
    explicit SweepStopRule(double factor = 0.0) : m_factor(factor) {}
    bool enabled() const { return m_factor > 0.0; }
    // Adds a finished run's curve to the bests per step.
    void addRun(const SweepRunResult &run);
    // Whether a run at `step` with `evalLoss` should stop; a one-line reason in `why`.
    bool shouldStop(std::int64_t step, double evalLoss, std::string &why) const;

private:
    double m_factor;
    std::vector<std::pair<std::int64_t, double>> m_best; // (step, lowest eval loss), sorted by step
};

} // namespace engine

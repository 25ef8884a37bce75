// One training run driven from the command line, shared by `lorafit-cli
// train` and `lorafit-cli sweep`: the trainer runs on a worker thread while
// this thread drains its metrics every 100 ms into a progress line on stderr,
// an optional JSON-lines stream and, for projects, the run's record. Ctrl-C
// stops after a checkpoint; a second Ctrl-C quits at once. Decides nothing
// about folders, settings or ranks: the caller has done that.
#pragma once

#include "engine/core/status.h"
#include "engine/train/runsettings.h"
#include "engine/train/stepmetrics.h"
#include "engine/train/trainer.h"

#include <QString>

#include <cstdint>
#include <cstdio>
#include <functional>

namespace app {
class RankLauncher;
}

namespace engine {
class ProjectStore;
}

namespace cli {

// The JSON-lines stream: one object per line with "event": plan | step | checkpoint | end.
class MetricsWriter
{
public:
    // path: a file, "-" for stdout, or empty for none. Throws engine::Error naming the path if it cannot be written.
    explicit MetricsWriter(const QString &path);
    ~MetricsWriter();
    MetricsWriter(const MetricsWriter &) = delete;
    MetricsWriter &operator=(const MetricsWriter &) = delete;

    bool toStdout() const { return m_file == stdout; }
    void writeLine(const QByteArray &json);

private:
    std::FILE *m_file = nullptr;
};

struct TrainingRunRequest
{
    engine::RunSettings settings;
    engine::TrainOptions options;
    engine::ProjectStore *store = nullptr; // records the run there when set
    std::int64_t resumeRunId = 0;          // the project's run to continue; 0 = a new run
    QString runName;                       // the run's name in the project
    MetricsWriter *metrics = nullptr;      // JSON-lines stream, if any
    bool quiet = false;                    // no progress line
    app::RankLauncher *ranks = nullptr;    // the other processes of this machine, when data parallel
    // Sees every drained step on this thread; a non-empty answer stops the run
    // (after a checkpoint) and is kept as the reason.
    std::function<std::string(const engine::StepMetrics &)> onStep;
};

struct TrainingRunResult
{
    // The trainer's outcome, or its error (with a failed rank's last words first).
    engine::Result<engine::TrainingOutcome> outcome = engine::Status::failure("the run did not start");
    engine::Status recording;  // failed: the run trained but the project could not record it all
    std::int64_t runId = 0;    // in the project, when recorded
    std::string stopReason;    // from onStep, when it stopped the run
    bool interrupted = false;  // stopped by Ctrl-C
    double seconds = 0.0;      // wall time
};

// Runs the trainer to its end (completed, stopped, diverged, interrupted or failed).
TrainingRunResult runTraining(const TrainingRunRequest &request);

} // namespace cli

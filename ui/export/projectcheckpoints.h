// The checkpoints of a project's runs that the export dialog and the
// playground offer, each with the eval loss recorded at its step, and which
// one to offer first: the run's lowest eval loss, else its newest
// checkpoint. Reads the project store only; loads no model.
#pragma once

#include <QString>

#include <optional>
#include <vector>

namespace engine {
class ProjectStore;
}

namespace ui {

struct ProjectCheckpoint
{
    qint64 runId = 0;
    QString runName;
    qint64 step = 0;
    QString path;                  // the checkpoint (PEFT adapter) folder
    std::optional<double> evalLoss; // "eval" loss recorded at this step
    QString label() const;         // "run name · step 40 · eval loss 2.3456"
};

// Every checkpoint of every run, by run then step. On a store error returns
// what was read so far and sets `error` (when given) to the engine's message.
std::vector<ProjectCheckpoint> projectCheckpoints(const engine::ProjectStore &store, QString *error = nullptr);

// Index in `checkpoints` of run `runId`'s lowest eval loss, else of its last
// checkpoint; runId < 0: over all runs. -1 when there is none.
int bestCheckpointIndex(const std::vector<ProjectCheckpoint> &checkpoints, qint64 runId = -1);

} // namespace ui

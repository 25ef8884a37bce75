// Writes one run's metrics from a project file as CSV: one row per step, a
// column per scalar metric ("loss", "lr_A", ...), then one column per matrix
// metric and adapted matrix ("dA_norm:model.layers.0.self_attn.q_proj").
// Empty cells where a metric was not measured at that step. Written to a
// temporary name and renamed.
#pragma once

#include <QString>

namespace engine {
class ProjectStore;
}

namespace app {

// Returns an empty string, or a message naming the file or the run.
QString writeRunMetricsCsv(const engine::ProjectStore &store, qint64 runId, const QString &path);

} // namespace app

// The export dialog's background work, as one plain function: run the export
// engine (every chosen format, with progress and cancel), then verify each
// written export by loading it back (engine/export/adapterverifier.h) and
// comparing its loss on N examples with the checkpoint's own loss, computed
// in the app on the same examples. Runs on the caller's (worker) thread;
// touches no widget.
#pragma once

#include "engine/export/exportjob.h"

#include <QString>

#include <atomic>
#include <functional>
#include <vector>

namespace ui {

struct ExportCheck
{
    QString path;          // the export checked (folder, or the .gguf file)
    double loss = 0.0;     // loaded back from the written files
    double expected = 0.0; // the checkpoint's loss, or the base model's for a GGUF model of the base alone
    QString against;       // what `expected` is: "checkpoint" or "base model"
    double tolerance = 1e-4; // relative (engine::exportLossTolerance of the written dtype)
    bool agrees = false;
};

struct ExportTaskResult
{
    bool cancelled = false;
    QString error;                 // empty unless the export or its verification failed to run
    engine::ExportSummary summary; // files and warnings
    QString examples;              // what the losses were measured on, e.g. "8 validation examples"
    double checkpointLoss = 0.0;   // the in-app value: the checkpoint's loss on those examples
    std::vector<ExportCheck> checks;
    // Exported, every written export checked, and every check agreed.
    bool verified() const;
};

// Reports the fraction done (0..1) and a line saying what is happening.
using ExportTaskProgress = std::function<void(double, const QString &)>;

ExportTaskResult runExportTask(const engine::ExportRequest &request, int verifyExamples,
                               const ExportTaskProgress &progress, const std::atomic<bool> &cancel);

} // namespace ui

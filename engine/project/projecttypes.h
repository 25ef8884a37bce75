// Plain data exchanged with engine::ProjectStore: runs, metric records and
// series, checkpoints, eval results, exports and settings sections. No
// behaviour beyond the RunStatus names; no Qt, no Torch. Times are
// milliseconds since the Unix epoch (UTC); paths are absolute when read back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace engine {

// How ProjectStore::open() wants the file.
enum class OpenMode {
    ReadWrite, // take the project's lock; falls back to a read-only view if another process holds it
    ReadOnly,  // never write, never take the lock (e.g. `lorafit-cli project show`); if no process
               // is writing, a snapshot that creates no -wal/-shm files next to the project
};

enum class RunStatus {
    Running,     // a live process is training it
    Finished,    // reached its last step
    Stopped,     // stopped by the user
    Failed,      // ended with an error
    Interrupted, // its process died (crash, kill, power loss); resumable from its last checkpoint
};

// "running", "finished", "stopped", "failed", "interrupted".
const char *runStatusName(RunStatus status);
// The status for a name from runStatusName(); nullopt for anything else.
std::optional<RunStatus> runStatusFromName(const std::string &name);

// Milliseconds since the Unix epoch, now.
std::int64_t currentTimeMs();
// "2026-11-23 09:41:07 UTC" for a time in milliseconds since the epoch.
std::string formatUtcTime(std::int64_t ms);

// What the trainer knows when a run starts.
struct RunSpec
{
    std::string name;                     // shown in the run list, e.g. "lr 2e-4, r 16"
    std::string device;                   // "cpu", "cuda:0", ...
    std::string configJson = "{}";        // snapshot of the full training config (a JSON object)
    std::vector<std::string> matrixNames; // HF module name of each adapted matrix, by matrix index
    std::string notes;                    // free text
};

// One run as stored.
struct RunInfo
{
    std::int64_t id = 0;
    std::string name;
    RunStatus status = RunStatus::Running;
    std::int64_t startedAtMs = 0;
    std::optional<std::int64_t> endedAtMs; // set when finished/stopped/failed, or last write if interrupted
    std::string device;
    std::string configJson;       // JSON object
    std::string finalMetricsJson; // JSON object, "{}" until the run ends
    std::string notes;
    std::optional<std::int64_t> lastStep; // highest step with committed metrics
    int matrixCount = 0;                  // number of adapted matrices (length of per-matrix vectors)
};

// Metrics of one training step. Per-matrix vectors hold one value per matrix
// index of the run (RunSpec::matrixNames); kinds not computed at this step are
// simply absent (e.g. δ-probes only every probe_every steps).
struct StepRecord
{
    std::int64_t step = 0;
    std::map<std::string, double> scalars;               // "loss", "lr_A", "grad_norm", ... (NaN allowed)
    std::map<std::string, std::vector<float>> matrices;  // "dA_norm", "B_norm", "delta1", ...
};

// A scalar metric over steps, in step order.
struct ScalarSeries
{
    std::vector<std::int64_t> steps;
    std::vector<double> values; // NaN where the trainer reported NaN
};

// A per-matrix metric over steps: values is steps.size() x matrixCount, row-major
// (row = step). matrixCount is 1 when one matrix was asked for.
struct MatrixSeries
{
    std::vector<std::int64_t> steps;
    int matrixCount = 0;
    std::vector<float> values;
};

struct EvalResult
{
    std::int64_t step = 0;
    std::string name = "eval"; // which evaluation, e.g. "eval" or a dataset split
    double loss = 0.0;
    std::string metricsJson = "{}"; // further figures as a JSON object (perplexity, accuracy, ...)
    std::int64_t createdAtMs = 0;   // filled in by the store
};

struct CheckpointInfo
{
    std::int64_t step = 0;
    std::string path;          // absolute when read back; stored relative if under the project folder
    std::int64_t sizeBytes = 0;
    std::string hash;          // e.g. "sha256:..." as computed by the writer of the checkpoint
    std::int64_t createdAtMs = 0; // filled in by the store
};

struct ExportInfo
{
    std::int64_t id = 0;              // filled in by the store
    std::optional<std::int64_t> runId; // the run exported, if any
    std::string format;               // an export format id: "peft", "merged", "gguf" (engine::exportFormats())
    std::string path;                 // absolute when read back
    std::int64_t createdAtMs = 0;     // filled in by the store
};

// One settings section ("model", "dataset", "lora", "optimizer", "training").
// The store treats the content as an opaque JSON object except for paths:
// string values (or arrays of strings) under keys named "path", "*_path",
// "paths" or "*_paths" are stored relative to the project folder when inside it.
struct SettingsSection
{
    std::string name;
    int version = 1;        // version of this section's layout, owned by the code that reads it
    std::string json = "{}"; // a JSON object, paths absolute
};

} // namespace engine

// engine::ProjectStore: one .lorafit project file (SQLite) holding the project
// settings, the runs with their metric series, eval results, checkpoints and
// exports. Opening checks the file before anything is written (not SQLite,
// damaged, newer schema: clear error, file untouched), upgrades older schemas in
// one transaction, takes the single-writer lock (or gives a read-only view with
// the reason) and marks runs left "running" by a dead process as interrupted.
// Not thread-safe: use one store from one thread (the app's drain thread).
// Torch-free and Qt-free; safe to include from app/ and ui/.
#pragma once

#include "engine/core/status.h"
#include "engine/project/projecttypes.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace engine {

class ProjectStore
{
public:
    // Creates a new, empty project at `path` (written under a temporary name and
    // renamed) and opens it for writing. Fails if `path` exists.
    static Result<ProjectStore> create(const std::string &path);
    // Opens an existing project. With OpenMode::ReadWrite, a project another live
    // process holds opens read-only and readOnlyReason() says who holds it.
    static Result<ProjectStore> open(const std::string &path, OpenMode mode = OpenMode::ReadWrite);

    ProjectStore(ProjectStore &&) noexcept;
    ProjectStore &operator=(ProjectStore &&) noexcept;
    ~ProjectStore(); // closes the file and releases the lock

    const std::string &path() const; // the project file, absolute
    const std::string &folder() const; // its folder, against which relative paths resolve
    bool isReadOnly() const;
    // Why the store is read-only, e.g. "open elsewhere (by process 4242 on host lab
    // since 2026-11-23 09:41:07 UTC)"; empty when writable.
    const std::string &readOnlyReason() const;
    // Runs this open() found left "running" by a dead process and marked interrupted
    // (the app offers to resume them from lastCheckpoint()).
    const std::vector<std::int64_t> &interruptedOnOpen() const;

    // --- Settings: versioned JSON sections "model", "dataset", "lora", "optimizer", "training".
    Result<std::vector<SettingsSection>> settings() const;
    Result<std::optional<SettingsSection>> settingsSection(const std::string &name) const;
    // Validates (known name, version >= 1, a JSON object) and replaces the section.
    Status setSettingsSection(const SettingsSection &section);
    // The settings document (see `lorafit-cli project export-settings`), paths absolute.
    Result<std::string> exportSettingsJson() const;
    // Validates the whole document first (errors name `sourceName` and the field),
    // then replaces the sections it contains in one transaction.
    Status importSettingsJson(const std::string &json, const std::string &sourceName);

    // --- Recording a run (the trainer, through the app's drain).
    // Starts a run with status Running; returns its id.
    Result<std::int64_t> createRun(const RunSpec &spec);
    // Appends one drained batch of steps in one transaction: all of it or none.
    Status appendMetrics(std::int64_t runId, const std::vector<StepRecord> &batch);
    Status addEvalResult(std::int64_t runId, const EvalResult &result);
    // Records a checkpoint written by the trainer (replaces one at the same step).
    Status addCheckpoint(std::int64_t runId, const CheckpointInfo &checkpoint);
    // Ends a run: `status` is Finished, Stopped or Failed; final metrics are a JSON object.
    Status finishRun(std::int64_t runId, RunStatus status, const std::string &finalMetricsJson = "{}");
    // Continues an interrupted, stopped or failed run (after loading its last checkpoint):
    // status back to Running; steps appended again replace the stored ones.
    Status resumeRun(std::int64_t runId);
    // Gives a run a new (non-empty) name.
    Status renameRun(std::int64_t runId, const std::string &name);
    Status setRunNotes(std::int64_t runId, const std::string &notes);
    // Deletes a run with its metrics, eval results and checkpoint records (not the files).
    Status deleteRun(std::int64_t runId);
    // Records an export; returns its id.
    Result<std::int64_t> addExport(const ExportInfo &info);

    // --- Reading (also in read-only views).
    Result<std::vector<RunInfo>> runs() const; // by id
    Result<RunInfo> run(std::int64_t runId) const;
    Result<std::vector<std::string>> matrixNames(std::int64_t runId) const; // by matrix index
    Result<std::vector<std::string>> scalarNames(std::int64_t runId) const;
    Result<std::vector<std::string>> matrixKinds(std::int64_t runId) const;
    // Steps >= fromStep, in step order; an unknown name gives an empty series.
    Result<ScalarSeries> scalarSeries(std::int64_t runId, const std::string &name, std::int64_t fromStep = 0) const;
    // One matrix (by index) or, without matrixIndex, all matrices.
    Result<MatrixSeries> matrixSeries(std::int64_t runId, const std::string &kind,
        std::optional<int> matrixIndex = std::nullopt, std::int64_t fromStep = 0) const;
    Result<std::vector<EvalResult>> evalResults(std::int64_t runId) const;
    Result<std::vector<CheckpointInfo>> checkpoints(std::int64_t runId) const; // by step
    Result<std::optional<CheckpointInfo>> lastCheckpoint(std::int64_t runId) const;
    Result<std::vector<ExportInfo>> exports() const; // by id

    class Impl;

private:
    explicit ProjectStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace engine

// The inside of engine::ProjectStore (internal to engine/project). Its methods
// throw engine::Error; the facade in projectstore.cpp turns that into Status.
// projectstoreimpl.cpp opens the file (checks, lock, migration, interrupted
// runs); projectrecords.cpp reads and writes settings, runs and their records.
#pragma once

#include "engine/project/metrictables.h"
#include "engine/project/projectlock.h"
#include "engine/project/projectstore.h"
#include "engine/project/sqlitedatabase.h"

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace engine {

class ProjectStore::Impl
{
public:
    static std::unique_ptr<Impl> open(const std::string &path, OpenMode mode);

    // Settings.
    std::vector<SettingsSection> settings();
    void setSettingsSections(const std::vector<SettingsSection> &sections);

    // Runs and their records.
    std::int64_t createRun(const RunSpec &spec);
    void appendMetrics(std::int64_t runId, const std::vector<StepRecord> &batch);
    void addEvalResult(std::int64_t runId, const EvalResult &result);
    void addCheckpoint(std::int64_t runId, const CheckpointInfo &checkpoint);
    void finishRun(std::int64_t runId, RunStatus status, const std::string &finalMetricsJson);
    void resumeRun(std::int64_t runId);
    void renameRun(std::int64_t runId, const std::string &name);
    void setRunNotes(std::int64_t runId, const std::string &notes);
    void deleteRun(std::int64_t runId);
    std::int64_t addExport(const ExportInfo &info);

    std::vector<RunInfo> runs(std::optional<std::int64_t> onlyRun);
    RunInfo run(std::int64_t runId);
    std::vector<std::string> matrixNames(std::int64_t runId);
    std::vector<EvalResult> evalResults(std::int64_t runId);
    std::vector<CheckpointInfo> checkpoints(std::int64_t runId);
    std::vector<ExportInfo> exports();

    // Throws the "read-only" error if this store cannot write.
    void requireWritable(const char *action) const;
    std::string quotedPath() const { return "'" + m_path + "'"; }

    std::string m_path;
    std::string m_folder;
    std::string m_readOnlyReason;
    bool m_liveWriterElsewhere = false; // another process is recording runs right now
    std::vector<std::int64_t> m_interruptedOnOpen;
    std::unique_ptr<ProjectLock> m_lock;
    std::unique_ptr<SqliteDatabase> m_db;
    std::unique_ptr<MetricTables> m_metrics;

private:
    static constexpr std::int64_t kTouchIntervalMs = 2000;

    std::unordered_map<std::int64_t, int> m_matrixCounts; // of runs this store appended to
    std::unordered_map<std::int64_t, std::int64_t> m_lastTouchMs;
    std::optional<SqliteStatement> m_touchRun;

    int matrixCountOf(std::int64_t runId);
    void markInterruptedRuns();
};

} // namespace engine

// Settings, runs, eval results, checkpoints and exports of an open project:
// the SQL behind ProjectStore's record methods. Metric series are in
// metrictables.cpp; opening and locking in projectstoreimpl.cpp.
#include "engine/project/projectstoreimpl.h"

#include "engine/core/status.h"
#include "engine/project/projectpaths.h"
#include "engine/project/projectsettings.h"

namespace engine {

namespace {

std::string runName(std::int64_t runId)
{
    return "run " + std::to_string(runId);
}

std::string objectOrEmpty(const std::string &json)
{
    return json.empty() ? std::string("{}") : json;
}

} // namespace

// --- Settings ---------------------------------------------------------------

std::vector<SettingsSection> ProjectStore::Impl::settings()
{
    SqliteStatement select = m_db->prepare("SELECT name, version, json FROM settings_section ORDER BY name");
    std::vector<SettingsSection> sections;
    while (select.next()) {
        SettingsSection section { select.text(0), static_cast<int>(select.integer(1)), select.text(2) };
        section.json = rewriteSectionPaths(section, m_folder, false);
        sections.push_back(std::move(section));
    }
    return sections;
}

void ProjectStore::Impl::setSettingsSections(const std::vector<SettingsSection> &sections)
{
    requireWritable("change the settings");
    std::vector<std::string> stored;
    for (const SettingsSection &section : sections)
        stored.push_back(rewriteSectionPaths(section, m_folder, true)); // validates all before writing
    m_db->transaction([&] {
        SqliteStatement upsert = m_db->prepare(
            "INSERT OR REPLACE INTO settings_section(name, version, json, updated_at) VALUES (?1, ?2, ?3, ?4)");
        for (std::size_t i = 0; i < sections.size(); ++i)
            upsert.bind(1, sections[i].name)
                .bind(2, static_cast<std::int64_t>(sections[i].version))
                .bind(3, stored[i])
                .bind(4, currentTimeMs())
                .run();
    });
}

// --- Recording a run ----------------------------------------------------------

std::int64_t ProjectStore::Impl::createRun(const RunSpec &spec)
{
    requireWritable("start a run");
    const std::string config = objectOrEmpty(spec.configJson);
    checkJsonObject(config, "the config snapshot of run '" + spec.name + "'");
    std::int64_t runId = 0;
    m_db->transaction([&] {
        const std::int64_t now = currentTimeMs();
        SqliteStatement insert
            = m_db->prepare("INSERT INTO run(name, status, started_at, device, config_json, notes, updated_at) "
                            "VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?2)");
        insert.bind(1, spec.name).bind(2, now).bind(3, spec.device).bind(4, config).bind(5, spec.notes).run();
        runId = m_db->lastInsertRowId();
        SqliteStatement matrix = m_db->prepare("INSERT INTO run_matrix(run_id, idx, name) VALUES (?1, ?2, ?3)");
        for (std::size_t i = 0; i < spec.matrixNames.size(); ++i)
            matrix.bind(1, runId).bind(2, static_cast<std::int64_t>(i)).bind(3, spec.matrixNames[i]).run();
    });
    return runId;
}

int ProjectStore::Impl::matrixCountOf(std::int64_t runId)
{
    SqliteStatement select
        = m_db->prepare("SELECT (SELECT COUNT(*) FROM run_matrix WHERE run_id = ?1) FROM run WHERE id = ?1");
    select.bind(1, runId);
    if (!select.next())
        throw Error(quotedPath() + " has no " + runName(runId) + " (hint: 'lorafit-cli project show' lists the runs)");
    const int count = static_cast<int>(select.integer(0));
    select.reset();
    return count;
}

void ProjectStore::Impl::appendMetrics(std::int64_t runId, const std::vector<StepRecord> &batch)
{
    requireWritable("record metrics");
    if (batch.empty())
        return;
    auto known = m_matrixCounts.find(runId);
    if (known == m_matrixCounts.end())
        known = m_matrixCounts.emplace(runId, matrixCountOf(runId)).first;
    const std::int64_t now = currentTimeMs();
    // The run's activity time feeds "interrupted at"; a few seconds of precision is plenty,
    // and leaving the run's row alone keeps small batches to a few pages each.
    const bool touchRun = now - m_lastTouchMs[runId] >= kTouchIntervalMs;
    try {
        m_db->transaction([&] {
            m_metrics->append(runId, known->second, batch);
            if (touchRun) {
                if (!m_touchRun)
                    m_touchRun = m_db->prepare("UPDATE run SET updated_at = ?1 WHERE id = ?2");
                m_touchRun->bind(1, now).bind(2, runId).run();
            }
        });
    } catch (...) {
        m_metrics->forgetUncommitted();
        throw;
    }
    if (touchRun)
        m_lastTouchMs[runId] = now;
}

void ProjectStore::Impl::addEvalResult(std::int64_t runId, const EvalResult &result)
{
    requireWritable("record an eval result");
    const std::string metrics = objectOrEmpty(result.metricsJson);
    checkJsonObject(metrics, "the metrics of eval '" + result.name + "' at step " + std::to_string(result.step));
    matrixCountOf(runId); // the run exists
    SqliteStatement insert = m_db->prepare(
        "INSERT INTO eval_result(run_id, step, name, loss, metrics_json, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    insert.bind(1, runId).bind(2, result.step).bind(3, result.name).bind(4, result.loss).bind(5, metrics);
    insert.bind(6, currentTimeMs()).run();
}

void ProjectStore::Impl::addCheckpoint(std::int64_t runId, const CheckpointInfo &checkpoint)
{
    requireWritable("record a checkpoint");
    if (checkpoint.path.empty())
        throw Error(runName(runId) + ": checkpoint at step " + std::to_string(checkpoint.step)
            + " has no path (hint: record the folder or file the checkpoint was written to)");
    matrixCountOf(runId);
    SqliteStatement insert
        = m_db->prepare("INSERT OR REPLACE INTO checkpoint(run_id, step, path, size_bytes, hash, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    insert.bind(1, runId).bind(2, checkpoint.step).bind(3, storedProjectPath(m_folder, checkpoint.path));
    insert.bind(4, checkpoint.sizeBytes).bind(5, checkpoint.hash).bind(6, currentTimeMs()).run();
}

void ProjectStore::Impl::finishRun(std::int64_t runId, RunStatus status, const std::string &finalMetricsJson)
{
    requireWritable("finish a run");
    // Interrupted is also set on open for runs whose process died; rank 0 sets it
    // itself when another process of a data-parallel run died.
    if (status == RunStatus::Running)
        throw Error(runName(runId) + ": a run ends as finished, stopped, failed or interrupted, not running "
            + "(hint: a running run is marked by begin or resume)");
    const std::string metrics = objectOrEmpty(finalMetricsJson);
    checkJsonObject(metrics, "the final metrics of " + runName(runId));
    matrixCountOf(runId);
    SqliteStatement update = m_db->prepare(
        "UPDATE run SET status = ?1, ended_at = ?2, updated_at = ?2, final_metrics_json = ?3 WHERE id = ?4");
    update.bind(1, runStatusName(status)).bind(2, currentTimeMs()).bind(3, metrics).bind(4, runId).run();
}

void ProjectStore::Impl::resumeRun(std::int64_t runId)
{
    requireWritable("resume a run");
    const RunInfo info = run(runId);
    if (info.status == RunStatus::Running || info.status == RunStatus::Finished)
        throw Error(runName(runId) + " is " + runStatusName(info.status)
            + " and cannot be resumed (hint: only interrupted, stopped or failed runs can be)");
    SqliteStatement update
        = m_db->prepare("UPDATE run SET status = 'running', ended_at = NULL, updated_at = ?1 WHERE id = ?2");
    update.bind(1, currentTimeMs()).bind(2, runId).run();
}

void ProjectStore::Impl::renameRun(std::int64_t runId, const std::string &name)
{
    requireWritable("rename a run");
    if (name.find_first_not_of(" \t\r\n") == std::string::npos)
        throw Error(runName(runId) + ": the name must not be empty (hint: e.g. 'LoRA+ lr 2e-4')");
    matrixCountOf(runId);
    m_db->prepare("UPDATE run SET name = ?1 WHERE id = ?2").bind(1, name).bind(2, runId).run();
}

void ProjectStore::Impl::setRunNotes(std::int64_t runId, const std::string &notes)
{
    requireWritable("change the notes of a run");
    matrixCountOf(runId);
    m_db->prepare("UPDATE run SET notes = ?1 WHERE id = ?2").bind(1, notes).bind(2, runId).run();
}

void ProjectStore::Impl::deleteRun(std::int64_t runId)
{
    requireWritable("delete a run");
    matrixCountOf(runId);
    m_db->transaction([&] { m_db->prepare("DELETE FROM run WHERE id = ?1").bind(1, runId).run(); });
    m_matrixCounts.erase(runId);
}

std::int64_t ProjectStore::Impl::addExport(const ExportInfo &info)
{
    requireWritable("record an export");
    if (info.format.empty() || info.path.empty())
        throw Error("an export record needs a format and a path (hint: e.g. format 'peft' and the output folder)");
    if (info.runId)
        matrixCountOf(*info.runId);
    SqliteStatement insert
        = m_db->prepare("INSERT INTO export_record(run_id, format, path, created_at) VALUES (?1, ?2, ?3, ?4)");
    insert.bindOptional(1, info.runId).bind(2, info.format).bind(3, storedProjectPath(m_folder, info.path));
    insert.bind(4, currentTimeMs()).run();
    return m_db->lastInsertRowId();
}

// --- Reading --------------------------------------------------------------------

std::vector<RunInfo> ProjectStore::Impl::runs(std::optional<std::int64_t> onlyRun)
{
    SqliteStatement select = m_db->prepare(
        "SELECT id, name, status, started_at, ended_at, device, config_json, final_metrics_json, notes, "
        "NULLIF(MAX(COALESCE((SELECT MAX(step) FROM scalar_metric WHERE run_id = run.id), -1), "
        "           COALESCE((SELECT MAX(step) FROM matrix_metric WHERE run_id = run.id), -1)), -1), "
        "updated_at, (SELECT COUNT(*) FROM run_matrix WHERE run_id = run.id) FROM run "
        "WHERE ?1 IS NULL OR id = ?1 ORDER BY id");
    select.bindOptional(1, onlyRun);
    std::vector<RunInfo> result;
    while (select.next()) {
        RunInfo run;
        run.id = select.integer(0);
        run.name = select.text(1);
        run.status = runStatusFromName(select.text(2)).value_or(RunStatus::Failed);
        run.startedAtMs = select.integer(3);
        run.endedAtMs = select.optionalInteger(4);
        run.device = select.text(5);
        run.configJson = select.text(6);
        run.finalMetricsJson = select.text(7);
        run.notes = select.text(8);
        run.lastStep = select.optionalInteger(9);
        run.matrixCount = static_cast<int>(select.integer(11));
        if (run.status == RunStatus::Running && !m_lock && !m_liveWriterElsewhere) {
            // Read-only view of a project nobody holds: its writer died.
            run.status = RunStatus::Interrupted;
            run.endedAtMs = select.optionalInteger(10);
        }
        result.push_back(std::move(run));
    }
    return result;
}

RunInfo ProjectStore::Impl::run(std::int64_t runId)
{
    std::vector<RunInfo> found = runs(runId);
    if (found.empty())
        throw Error(quotedPath() + " has no " + runName(runId) + " (hint: 'lorafit-cli project show' lists the runs)");
    return found.front();
}

std::vector<std::string> ProjectStore::Impl::matrixNames(std::int64_t runId)
{
    matrixCountOf(runId);
    SqliteStatement select = m_db->prepare("SELECT name FROM run_matrix WHERE run_id = ?1 ORDER BY idx");
    select.bind(1, runId);
    std::vector<std::string> names;
    while (select.next())
        names.push_back(select.text(0));
    return names;
}

std::vector<EvalResult> ProjectStore::Impl::evalResults(std::int64_t runId)
{
    matrixCountOf(runId);
    SqliteStatement select = m_db->prepare(
        "SELECT step, name, loss, metrics_json, created_at FROM eval_result WHERE run_id = ?1 ORDER BY step, id");
    select.bind(1, runId);
    std::vector<EvalResult> results;
    while (select.next())
        results.push_back({ select.integer(0), select.text(1), select.real(2), select.text(3), select.integer(4) });
    return results;
}

std::vector<CheckpointInfo> ProjectStore::Impl::checkpoints(std::int64_t runId)
{
    matrixCountOf(runId);
    SqliteStatement select = m_db->prepare(
        "SELECT step, path, size_bytes, hash, created_at FROM checkpoint WHERE run_id = ?1 ORDER BY step");
    select.bind(1, runId);
    std::vector<CheckpointInfo> result;
    while (select.next())
        result.push_back({ select.integer(0), absoluteProjectPath(m_folder, select.text(1)), select.integer(2),
            select.text(3), select.integer(4) });
    return result;
}

std::vector<ExportInfo> ProjectStore::Impl::exports()
{
    SqliteStatement select
        = m_db->prepare("SELECT id, run_id, format, path, created_at FROM export_record ORDER BY id");
    std::vector<ExportInfo> result;
    while (select.next())
        result.push_back({ select.integer(0), select.optionalInteger(1), select.text(2),
            absoluteProjectPath(m_folder, select.text(3)), select.integer(4) });
    return result;
}

} // namespace engine

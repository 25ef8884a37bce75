#include "engine/project/projectschema.h"

#include "engine/core/status.h"
#include "engine/project/sqlitedatabase.h"

#include <filesystem>
#include <random>

namespace engine {

namespace {

// Version 1: settings, runs, scalar metrics and checkpoints.
constexpr const char *kCreateVersion1 = R"sql(
CREATE TABLE settings_section(
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    json TEXT NOT NULL,
    updated_at INTEGER NOT NULL);
CREATE TABLE run(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    device TEXT NOT NULL,
    config_json TEXT NOT NULL,
    final_metrics_json TEXT NOT NULL DEFAULT '{}');
CREATE TABLE metric_name(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE);
CREATE TABLE scalar_metric(
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    name_id INTEGER NOT NULL REFERENCES metric_name(id),
    step INTEGER NOT NULL,
    value REAL,
    PRIMARY KEY(run_id, name_id, step)) WITHOUT ROWID;
CREATE TABLE checkpoint(
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    path TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY(run_id, step));
)sql";

// Version 2: run notes and last activity time; scalar metrics keyed by step first (a batch
// then writes one run of neighbouring rows instead of one page per name);
// per-matrix metrics (one float32 blob per step and kind, little-endian, one
// value per matrix index); eval results; exports.
constexpr const char *kUpgradeTo2 = R"sql(
CREATE TABLE scalar_metric_v2(
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    name_id INTEGER NOT NULL REFERENCES metric_name(id),
    value REAL,
    PRIMARY KEY(run_id, step, name_id)) WITHOUT ROWID;
INSERT INTO scalar_metric_v2(run_id, step, name_id, value) SELECT run_id, step, name_id, value FROM scalar_metric;
DROP TABLE scalar_metric;
ALTER TABLE scalar_metric_v2 RENAME TO scalar_metric;
ALTER TABLE run ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE run ADD COLUMN updated_at INTEGER;
CREATE TABLE run_matrix(
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY(run_id, idx)) WITHOUT ROWID;
CREATE TABLE matrix_metric(
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    kind_id INTEGER NOT NULL REFERENCES metric_name(id),
    step INTEGER NOT NULL,
    data BLOB NOT NULL);
CREATE UNIQUE INDEX matrix_metric_step ON matrix_metric(run_id, step, kind_id);
CREATE TABLE eval_result(
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    name TEXT NOT NULL,
    loss REAL,
    metrics_json TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL);
CREATE INDEX eval_result_run ON eval_result(run_id, step);
CREATE TABLE export_record(
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES run(id) ON DELETE SET NULL,
    format TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at INTEGER NOT NULL);
CREATE INDEX export_record_run ON export_record(run_id);
)sql";

// kSteps[v] takes a database from version v to v + 1.
constexpr const char *kSteps[] = { kCreateVersion1, kUpgradeTo2 };
static_assert(sizeof(kSteps) / sizeof(kSteps[0]) == kProjectSchemaVersion, "one migration step per version");

std::string temporaryName(const std::string &path)
{
    std::random_device device;
    return path + ".creating-" + std::to_string(device());
}

void removeDatabaseFiles(const std::string &path)
{
    std::error_code ignored;
    for (const char *suffix : { "", "-wal", "-shm", "-journal" })
        std::filesystem::remove(path + suffix, ignored);
}

} // namespace

void migrateProjectDatabase(SqliteDatabase &db, int targetVersion)
{
    const int current = static_cast<int>(db.queryInteger("PRAGMA user_version"));
    if (current > targetVersion)
        throw Error("'" + db.path() + "' was written by a newer Lorafit (schema version " + std::to_string(current)
            + ", this build reads up to " + std::to_string(targetVersion)
            + ") (hint: update Lorafit to open it; the file was not changed)");
    if (current == targetVersion)
        return;
    db.transaction([&] {
        if (current == 0)
            db.exec("PRAGMA application_id = " + std::to_string(kProjectApplicationId));
        for (int version = current; version < targetVersion; ++version)
            db.exec(kSteps[version]);
        db.exec("PRAGMA user_version = " + std::to_string(targetVersion));
    });
}

void createProjectFile(const std::string &path, int version)
{
    if (version < 1 || version > kProjectSchemaVersion)
        throw Error("cannot create '" + path + "' at schema version " + std::to_string(version)
            + " (hint: versions 1 to " + std::to_string(kProjectSchemaVersion) + " exist)");
    std::error_code error;
    if (std::filesystem::exists(path, error))
        throw Error("'" + path + "' already exists (hint: open it instead, or choose another name)");
    const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
    if (!std::filesystem::is_directory(folder, error))
        throw Error("cannot create '" + path + "': the folder '" + folder.string()
            + "' does not exist (hint: create the folder first)");
    const std::string temporary = temporaryName(path);
    try {
        {
            SqliteDatabase db(temporary, SqliteDatabase::Access::Create);
            db.exec("PRAGMA journal_mode = WAL");
            migrateProjectDatabase(db, version);
        } // closing the only connection folds the WAL into the file and removes it
        if (std::filesystem::exists(path, error))
            throw Error("'" + path + "' already exists (hint: open it instead, or choose another name)");
        std::filesystem::rename(temporary, path, error);
        if (error)
            throw Error(
                "cannot create '" + path + "': " + error.message() + " (hint: check that the folder is writable)");
    } catch (...) {
        removeDatabaseFiles(temporary);
        throw;
    }
}

} // namespace engine

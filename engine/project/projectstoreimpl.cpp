// Opening a project file: checks before any write, the lock, migration and
// the runs a dead process left running. See projectstore.h for the contract.
#include "engine/project/projectstoreimpl.h"

#include "engine/core/status.h"
#include "engine/project/projectpaths.h"
#include "engine/project/projectschema.h"

#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace engine {

namespace {

constexpr char kSqliteMagic[] = "SQLite format 3"; // the 16-byte header, NUL included
constexpr std::size_t kSqliteHeaderSize = 100;

std::string quotedName(const std::string &path)
{
    return "'" + path + "'";
}

// Reads the header bytes only: no SQLite call can have changed the file yet.
void checkLooksLikeSqlite(const std::string &path)
{
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (!std::filesystem::exists(status))
        throw Error(
            quotedName(path) + " does not exist (hint: create it with 'lorafit-cli project create " + path + "')");
    if (!std::filesystem::is_regular_file(status))
        throw Error(quotedName(path) + " is not a file (hint: a Lorafit project is one .lorafit file)");
    std::ifstream in(path, std::ios::binary);
    char header[kSqliteHeaderSize] = {};
    in.read(header, sizeof header);
    if (!in && in.gcount() == 0 && std::filesystem::file_size(path, error) == 0)
        throw Error(quotedName(path)
            + " is empty, not a Lorafit project (hint: was it truncated by a full disk? "
              "restore a backup; the file was not changed)");
    if (static_cast<std::size_t>(in.gcount()) < kSqliteHeaderSize
        || std::memcmp(header, kSqliteMagic, sizeof kSqliteMagic) != 0)
        throw Error(quotedName(path)
            + " is not a Lorafit project: it is not an SQLite database (hint: choose a "
              ".lorafit file; the file was not changed)");
}

// Checks a read-only connection: Lorafit's application id, schema version, integrity.
int checkProjectDatabase(SqliteDatabase &db)
{
    const std::int64_t applicationId = db.queryInteger("PRAGMA application_id");
    if (applicationId != kProjectApplicationId)
        throw Error(quotedName(db.path())
            + " is an SQLite database of another program, not a Lorafit project "
              "(hint: choose a .lorafit file; the file was not changed)");
    const int version = static_cast<int>(db.queryInteger("PRAGMA user_version"));
    if (version > kProjectSchemaVersion)
        throw Error(quotedName(db.path()) + " was written by a newer Lorafit (schema version " + std::to_string(version)
            + ", this build reads up to " + std::to_string(kProjectSchemaVersion)
            + ") (hint: update Lorafit to open it; the file was not changed)");
    const std::string check = db.queryText("PRAGMA quick_check(5)");
    if (check != "ok")
        throw Error(quotedName(db.path()) + " is damaged (SQLite quick_check: " + check
            + ") (hint: restore a backup copy; Lorafit did not modify the file)");
    return version;
}

} // namespace

std::unique_ptr<ProjectStore::Impl> ProjectStore::Impl::open(const std::string &path, OpenMode mode)
{
    auto impl = std::make_unique<Impl>();
    impl->m_path = std::filesystem::absolute(path).lexically_normal().generic_string();
    impl->m_folder = projectFolderOf(impl->m_path);
    checkLooksLikeSqlite(impl->m_path);
    // No WAL file and no lock holder: nobody is writing, so read without creating
    // the -wal/-shm files (a refused or merely shown file stays exactly as it was).
    std::error_code ignored;
    const bool quiescent
        = !std::filesystem::exists(impl->m_path + "-wal", ignored) && !ProjectLock::isHeldElsewhere(impl->m_path);
    auto db = std::make_unique<SqliteDatabase>(
        impl->m_path, quiescent ? SqliteDatabase::Access::Snapshot : SqliteDatabase::Access::ReadOnly);
    const int version = checkProjectDatabase(*db);

    if (mode == OpenMode::ReadWrite)
        impl->m_lock = ProjectLock::tryAcquire(impl->m_path, impl->m_readOnlyReason);
    if (impl->m_lock) {
        db.reset();
        db = std::make_unique<SqliteDatabase>(impl->m_path, SqliteDatabase::Access::ReadWrite);
        if (sqlite3_db_readonly(db->handle(), "main") == 1) {
            impl->m_lock.reset();
            impl->m_readOnlyReason = "the file is read-only (hint: check its permissions to record runs)";
        }
    } else if (mode == OpenMode::ReadOnly) {
        impl->m_readOnlyReason = "opened read-only";
    }

    if (impl->m_lock) {
        db->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
        migrateProjectDatabase(*db);
    } else if (version < kProjectSchemaVersion) {
        throw Error(quotedName(impl->m_path) + " uses the older schema version " + std::to_string(version)
            + " and cannot be upgraded now: " + impl->m_readOnlyReason
            + " (hint: open it for writing once, where no other Lorafit has it open)");
    }
    impl->m_liveWriterElsewhere = !impl->m_lock && ProjectLock::isHeldElsewhere(impl->m_path);
    impl->m_db = std::move(db);
    impl->m_metrics = std::make_unique<MetricTables>(*impl->m_db);
    if (impl->m_lock)
        impl->markInterruptedRuns();
    return impl;
}

void ProjectStore::Impl::markInterruptedRuns()
{
    // We hold the lock, so no live process is recording: "running" means its process died.
    SqliteStatement select = m_db->prepare("SELECT id FROM run WHERE status = 'running' ORDER BY id");
    while (select.next())
        m_interruptedOnOpen.push_back(select.integer(0));
    if (m_interruptedOnOpen.empty())
        return;
    m_db->exec("UPDATE run SET status = 'interrupted', ended_at = COALESCE(updated_at, started_at) "
               "WHERE status = 'running'");
}

void ProjectStore::Impl::requireWritable(const char *action) const
{
    if (m_lock)
        return;
    throw Error("cannot " + std::string(action) + ": " + quotedName(m_path) + " is read-only here: " + m_readOnlyReason
        + " (hint: close it there, then open it again)");
}

} // namespace engine

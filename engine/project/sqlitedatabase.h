// One SQLite connection (internal to engine/project): open with a chosen
// access, run SQL, prepare statements and run a function inside a transaction
// that rolls back if it throws. Errors throw engine::Error naming the file and
// explaining SQLite's code (corrupt, not a database, locked, disk full).
// Not thread-safe; it does not know the Lorafit schema (see projectschema.h).
#pragma once

#include "engine/project/sqlitestatement.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

struct sqlite3;

namespace engine {

class SqliteDatabase
{
public:
    enum class Access {
        ReadOnly, // live reads; creates the -wal/-shm files of a WAL database if missing
        Snapshot, // reads a file no process is writing, creating nothing (SQLite "immutable")
        ReadWrite,
        Create,
    };

    SqliteDatabase(const std::string &path, Access access);
    ~SqliteDatabase();
    SqliteDatabase(const SqliteDatabase &) = delete;
    SqliteDatabase &operator=(const SqliteDatabase &) = delete;

    // Runs one or more statements that return no rows.
    void exec(std::string_view sql);
    SqliteStatement prepare(std::string_view sql);
    // The first column of the first row of `sql` as an integer (0 if no row).
    std::int64_t queryInteger(std::string_view sql);
    std::string queryText(std::string_view sql);

    // BEGIN IMMEDIATE; fn(); COMMIT. Rolls back and rethrows if fn throws.
    void transaction(const std::function<void()> &fn);
    bool inTransaction() const;
    // Row id of the last successful INSERT on this connection.
    std::int64_t lastInsertRowId() const;

    // Closes the connection now (SQLite then checkpoints and removes the WAL
    // if this is the last connection). Safe to call twice.
    void close();

    const std::string &path() const { return m_path; }
    sqlite3 *handle() const { return m_db; }

    // "'<file>': <what went wrong> (hint: ...)" for an SQLite result code.
    static std::string describeError(sqlite3 *db, int code, const std::string &fileName);

private:
    sqlite3 *m_db = nullptr;
    std::string m_path;
};

} // namespace engine

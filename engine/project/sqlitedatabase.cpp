#include "engine/project/sqlitedatabase.h"

#include "engine/core/status.h"

#include <sqlite3.h>

namespace engine {

namespace {

constexpr int kBusyTimeoutMs = 5000;

// "file:/path?immutable=1" with the characters URIs reserve escaped.
std::string immutableUri(const std::string &path)
{
    std::string uri = "file:";
    if (path.empty() || path[0] != '/')
        uri += '/'; // Windows drive paths: file:/C:/...
    for (const char c : path) {
        if (c == '%' || c == '?' || c == '#') {
            static const char kHex[] = "0123456789ABCDEF";
            uri += '%';
            uri += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
            uri += kHex[static_cast<unsigned char>(c) & 0xF];
        } else {
            uri += c == '\\' ? '/' : c;
        }
    }
    return uri + "?immutable=1";
}

} // namespace

SqliteDatabase::SqliteDatabase(const std::string &path, Access access)
    : m_path(path)
{
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (access) {
    case Access::ReadOnly:
        flags |= SQLITE_OPEN_READONLY;
        break;
    case Access::Snapshot:
        flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
        break;
    case Access::ReadWrite:
        flags |= SQLITE_OPEN_READWRITE;
        break;
    case Access::Create:
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        break;
    }
    const std::string name = access == Access::Snapshot ? immutableUri(path) : path;
    const int code = sqlite3_open_v2(name.c_str(), &m_db, flags, nullptr);
    if (code != SQLITE_OK) {
        const std::string message = describeError(m_db, code, path);
        sqlite3_close(m_db);
        m_db = nullptr;
        throw Error(message);
    }
    sqlite3_extended_result_codes(m_db, 1);
    sqlite3_busy_timeout(m_db, kBusyTimeoutMs);
}

SqliteDatabase::~SqliteDatabase()
{
    close();
}

void SqliteDatabase::close()
{
    if (m_db) {
        sqlite3_close_v2(m_db);
        m_db = nullptr;
    }
}

std::string SqliteDatabase::describeError(sqlite3 *db, int code, const std::string &fileName)
{
    const std::string where = "'" + fileName + "': ";
    switch (code & 0xff) {
    case SQLITE_CORRUPT:
        return where + "the database is damaged (hint: restore a backup copy; Lorafit did not modify the file)";
    case SQLITE_NOTADB:
        return where + "not an SQLite database (hint: a Lorafit project file is an SQLite file ending in .lorafit)";
    case SQLITE_FULL:
        return where + "the disk is full (hint: free some space; the last batch was not saved)";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return where + "the database stayed locked by another program for 5 s (hint: close other programs using it)";
    case SQLITE_READONLY:
        return where + "the file is read-only (hint: check its permissions)";
    case SQLITE_CANTOPEN:
        return where + "cannot open the file (hint: check that it exists and that its folder is readable)";
    default:
        break;
    }
    const char *detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    return where + "SQLite error " + std::to_string(code) + ": " + (detail ? detail : "unknown");
}

void SqliteDatabase::exec(std::string_view sql)
{
    const std::string text(sql);
    char *error = nullptr;
    const int code = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &error);
    if (code != SQLITE_OK) {
        std::string message = describeError(m_db, code, m_path);
        sqlite3_free(error);
        throw Error(message);
    }
}

SqliteStatement SqliteDatabase::prepare(std::string_view sql)
{
    return SqliteStatement(m_db, sql, m_path);
}

std::int64_t SqliteDatabase::queryInteger(std::string_view sql)
{
    SqliteStatement statement = prepare(sql);
    if (!statement.next())
        return 0;
    const std::int64_t value = statement.integer(0);
    statement.reset();
    return value;
}

std::string SqliteDatabase::queryText(std::string_view sql)
{
    SqliteStatement statement = prepare(sql);
    if (!statement.next())
        return {};
    std::string value = statement.text(0);
    statement.reset();
    return value;
}

bool SqliteDatabase::inTransaction() const
{
    return sqlite3_get_autocommit(m_db) == 0;
}

std::int64_t SqliteDatabase::lastInsertRowId() const
{
    return sqlite3_last_insert_rowid(m_db);
}

void SqliteDatabase::transaction(const std::function<void()> &fn)
{
    exec("BEGIN IMMEDIATE");
    try {
        fn();
        exec("COMMIT");
    } catch (...) {
        if (inTransaction())
            sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

} // namespace engine

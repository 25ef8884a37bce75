// A prepared SQLite statement with typed bind/step/column helpers (internal to
// engine/project). Errors throw engine::Error naming the database file and the
// SQL; the statement is reset after each run, so it can be reused in loops.
// Not thread-safe: one statement belongs to one connection on one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace engine {

class SqliteStatement
{
public:
    SqliteStatement(sqlite3 *db, std::string_view sql, const std::string &fileName);
    ~SqliteStatement();
    SqliteStatement(SqliteStatement &&other) noexcept;
    SqliteStatement &operator=(SqliteStatement &&other) noexcept;
    SqliteStatement(const SqliteStatement &) = delete;
    SqliteStatement &operator=(const SqliteStatement &) = delete;

    // Binds parameter `index` (1-based).
    SqliteStatement &bind(int index, std::int64_t value);
    SqliteStatement &bind(int index, double value); // NaN is stored as NULL
    SqliteStatement &bind(int index, std::string_view text);
    SqliteStatement &bind(int index, std::nullopt_t);
    SqliteStatement &bindBlob(int index, const void *data, std::size_t size);
    SqliteStatement &bindOptional(int index, const std::optional<std::int64_t> &value);

    // Advances to the next row; false when done (the statement is then reset).
    bool next();
    // Runs a statement that returns no rows; resets it for the next use.
    void run();
    void reset();

    bool isNull(int column) const;
    std::int64_t integer(int column) const;
    double real(int column) const; // NULL reads as NaN
    std::string text(int column) const;
    std::optional<std::int64_t> optionalInteger(int column) const;
    const void *blob(int column, std::size_t &size) const;

private:
    [[noreturn]] void fail(int code) const;

    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_statement = nullptr;
    std::string m_fileName;
};

} // namespace engine

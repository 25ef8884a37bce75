#include "engine/project/sqlitestatement.h"

#include "engine/core/status.h"
#include "engine/project/sqlitedatabase.h"

#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <utility>

namespace engine {

SqliteStatement::SqliteStatement(sqlite3 *db, std::string_view sql, const std::string &fileName)
    : m_db(db)
    , m_fileName(fileName)
{
    const int code = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &m_statement, nullptr);
    if (code != SQLITE_OK)
        throw Error(SqliteDatabase::describeError(db, code, fileName) + " in SQL '" + std::string(sql) + "'");
}

SqliteStatement::~SqliteStatement()
{
    sqlite3_finalize(m_statement);
}

SqliteStatement::SqliteStatement(SqliteStatement &&other) noexcept
    : m_db(std::exchange(other.m_db, nullptr))
    , m_statement(std::exchange(other.m_statement, nullptr))
    , m_fileName(std::move(other.m_fileName))
{ }

SqliteStatement &SqliteStatement::operator=(SqliteStatement &&other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(m_statement);
        m_db = std::exchange(other.m_db, nullptr);
        m_statement = std::exchange(other.m_statement, nullptr);
        m_fileName = std::move(other.m_fileName);
    }
    return *this;
}

void SqliteStatement::fail(int code) const
{
    const char *sql = sqlite3_sql(m_statement);
    throw Error(SqliteDatabase::describeError(m_db, code, m_fileName) + " in SQL '" + (sql ? sql : "") + "'");
}

SqliteStatement &SqliteStatement::bind(int index, std::int64_t value)
{
    if (const int code = sqlite3_bind_int64(m_statement, index, value); code != SQLITE_OK)
        fail(code);
    return *this;
}

SqliteStatement &SqliteStatement::bind(int index, double value)
{
    if (std::isnan(value))
        return bind(index, std::nullopt);
    if (const int code = sqlite3_bind_double(m_statement, index, value); code != SQLITE_OK)
        fail(code);
    return *this;
}

SqliteStatement &SqliteStatement::bind(int index, std::string_view text)
{
    const int code = sqlite3_bind_text64(m_statement, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (code != SQLITE_OK)
        fail(code);
    return *this;
}

SqliteStatement &SqliteStatement::bind(int index, std::nullopt_t)
{
    if (const int code = sqlite3_bind_null(m_statement, index); code != SQLITE_OK)
        fail(code);
    return *this;
}

SqliteStatement &SqliteStatement::bindBlob(int index, const void *data, std::size_t size)
{
    // SQLITE_STATIC: callers keep the bytes alive until run()/next() returns.
    if (const int code = sqlite3_bind_blob64(m_statement, index, data, size, SQLITE_STATIC); code != SQLITE_OK)
        fail(code);
    return *this;
}

SqliteStatement &SqliteStatement::bindOptional(int index, const std::optional<std::int64_t> &value)
{
    return value ? bind(index, *value) : bind(index, std::nullopt);
}

bool SqliteStatement::next()
{
    const int code = sqlite3_step(m_statement);
    if (code == SQLITE_ROW)
        return true;
    sqlite3_reset(m_statement);
    if (code != SQLITE_DONE)
        fail(code);
    return false;
}

void SqliteStatement::run()
{
    while (next()) { }
    sqlite3_clear_bindings(m_statement);
}

void SqliteStatement::reset()
{
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
}

bool SqliteStatement::isNull(int column) const
{
    return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
}

std::int64_t SqliteStatement::integer(int column) const
{
    return sqlite3_column_int64(m_statement, column);
}

double SqliteStatement::real(int column) const
{
    return isNull(column) ? std::numeric_limits<double>::quiet_NaN() : sqlite3_column_double(m_statement, column);
}

std::string SqliteStatement::text(int column) const
{
    const auto *chars = reinterpret_cast<const char *>(sqlite3_column_text(m_statement, column));
    return chars ? std::string(chars, static_cast<std::size_t>(sqlite3_column_bytes(m_statement, column)))
                 : std::string();
}

std::optional<std::int64_t> SqliteStatement::optionalInteger(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return integer(column);
}

const void *SqliteStatement::blob(int column, std::size_t &size) const
{
    const void *data = sqlite3_column_blob(m_statement, column);
    size = static_cast<std::size_t>(sqlite3_column_bytes(m_statement, column));
    return data;
}

} // namespace engine

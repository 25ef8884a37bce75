#include "engine/project/metrictables.h"

#include "engine/core/status.h"
#include "engine/project/sqlitedatabase.h"

#include <cstring>

namespace engine {

namespace {

bool hostIsLittleEndian()
{
    const std::uint32_t one = 1;
    unsigned char first = 0;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

void encodeFloats(const std::vector<float> &values, std::vector<unsigned char> &out)
{
    out.resize(values.size() * 4);
    if (hostIsLittleEndian()) {
        std::memcpy(out.data(), values.data(), out.size());
        return;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &values[i], 4);
        for (int b = 0; b < 4; ++b)
            out[i * 4 + b] = static_cast<unsigned char>(bits >> (8 * b));
    }
}

float decodeFloat(const unsigned char *bytes)
{
    std::uint32_t bits = 0;
    for (int b = 0; b < 4; ++b)
        bits |= static_cast<std::uint32_t>(bytes[b]) << (8 * b);
    float value = 0;
    std::memcpy(&value, &bits, 4);
    return value;
}

} // namespace

MetricTables::MetricTables(SqliteDatabase &db)
    : m_db(db)
{ }

std::optional<std::int64_t> MetricTables::findNameId(const std::string &name)
{
    if (const auto it = m_nameIds.find(name); it != m_nameIds.end())
        return it->second;
    SqliteStatement select = m_db.prepare("SELECT id FROM metric_name WHERE name = ?1");
    select.bind(1, name);
    if (!select.next())
        return std::nullopt;
    const std::int64_t id = select.integer(0);
    select.reset();
    m_nameIds.emplace(name, id);
    return id;
}

std::int64_t MetricTables::nameId(const std::string &name)
{
    if (const auto id = findNameId(name))
        return *id;
    if (name.empty())
        throw Error("a metric has an empty name (hint: name every scalar and per-matrix metric)");
    SqliteStatement insert = m_db.prepare("INSERT INTO metric_name(name) VALUES (?1)");
    insert.bind(1, name).run();
    return *findNameId(name);
}

void MetricTables::forgetUncommitted()
{
    m_nameIds.clear(); // ids created in a rolled-back transaction no longer exist
}

void MetricTables::append(std::int64_t runId, int matrixCount, const std::vector<StepRecord> &batch)
{
    if (!m_insertScalar)
        m_insertScalar = m_db.prepare(
            "INSERT OR REPLACE INTO scalar_metric(run_id, name_id, step, value) VALUES (?1, ?2, ?3, ?4)");
    if (!m_insertMatrix)
        m_insertMatrix
            = m_db.prepare("INSERT OR REPLACE INTO matrix_metric(run_id, kind_id, step, data) VALUES (?1, ?2, ?3, ?4)");
    for (const StepRecord &record : batch) {
        if (record.step < 0)
            throw Error("run " + std::to_string(runId) + ": step " + std::to_string(record.step)
                + " is negative (hint: steps count from 0)");
        for (const auto &[name, value] : record.scalars)
            m_insertScalar->bind(1, runId).bind(2, nameId(name)).bind(3, record.step).bind(4, value).run();
        for (const auto &[kind, values] : record.matrices) {
            if (static_cast<std::int64_t>(values.size()) != matrixCount)
                throw Error("run " + std::to_string(runId) + ", step " + std::to_string(record.step)
                    + ": per-matrix metric '" + kind + "' has " + std::to_string(values.size())
                    + " values, but the run has " + std::to_string(matrixCount)
                    + " matrices (hint: give one value per entry of RunSpec::matrixNames)");
            encodeFloats(values, m_blob);
            m_insertMatrix->bind(1, runId).bind(2, nameId(kind)).bind(3, record.step);
            m_insertMatrix->bindBlob(4, m_blob.data(), m_blob.size()).run();
        }
    }
}

std::vector<std::string> MetricTables::namesUsedBy(std::int64_t runId, const char *table, const char *column)
{
    SqliteStatement select = m_db.prepare(std::string("SELECT name FROM metric_name m WHERE EXISTS (SELECT 1 FROM ")
        + table + " t WHERE t.run_id = ?1 AND t." + column + " = m.id) ORDER BY name");
    select.bind(1, runId);
    std::vector<std::string> names;
    while (select.next())
        names.push_back(select.text(0));
    return names;
}

std::vector<std::string> MetricTables::scalarNames(std::int64_t runId)
{
    return namesUsedBy(runId, "scalar_metric", "name_id");
}

std::vector<std::string> MetricTables::matrixKinds(std::int64_t runId)
{
    return namesUsedBy(runId, "matrix_metric", "kind_id");
}

ScalarSeries MetricTables::scalarSeries(std::int64_t runId, const std::string &name, std::int64_t fromStep)
{
    ScalarSeries series;
    const auto id = findNameId(name);
    if (!id)
        return series;
    SqliteStatement select = m_db.prepare(
        "SELECT step, value FROM scalar_metric WHERE run_id = ?1 AND name_id = ?2 AND step >= ?3 ORDER BY step");
    select.bind(1, runId).bind(2, *id).bind(3, fromStep);
    while (select.next()) {
        series.steps.push_back(select.integer(0));
        series.values.push_back(select.real(1));
    }
    return series;
}

MatrixSeries MetricTables::matrixSeries(
    std::int64_t runId, const std::string &kind, int matrixCount, std::optional<int> matrixIndex, std::int64_t fromStep)
{
    if (matrixIndex && (*matrixIndex < 0 || *matrixIndex >= matrixCount))
        throw Error("run " + std::to_string(runId) + " has no matrix " + std::to_string(*matrixIndex)
            + " (hint: matrix indices go from 0 to " + std::to_string(matrixCount - 1) + ")");
    MatrixSeries series;
    series.matrixCount = matrixIndex ? 1 : matrixCount;
    const auto id = findNameId(kind);
    if (!id)
        return series;
    SqliteStatement select = m_db.prepare(
        "SELECT step, data FROM matrix_metric WHERE run_id = ?1 AND kind_id = ?2 AND step >= ?3 ORDER BY step");
    select.bind(1, runId).bind(2, *id).bind(3, fromStep);
    while (select.next()) {
        std::size_t size = 0;
        const auto *bytes = static_cast<const unsigned char *>(select.blob(1, size));
        if (size != static_cast<std::size_t>(matrixCount) * 4)
            throw Error("'" + m_db.path() + "': run " + std::to_string(runId) + ", step "
                + std::to_string(select.integer(0)) + ": metric '" + kind + "' holds " + std::to_string(size)
                + " bytes instead of " + std::to_string(matrixCount * 4)
                + " (hint: the file was modified by another program)");
        series.steps.push_back(select.integer(0));
        if (matrixIndex) {
            series.values.push_back(decodeFloat(bytes + 4 * *matrixIndex));
        } else {
            for (int i = 0; i < matrixCount; ++i)
                series.values.push_back(decodeFloat(bytes + 4 * i));
        }
    }
    return series;
}

} // namespace engine

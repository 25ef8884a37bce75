// Metric series of runs in a project database (internal to engine/project):
// scalars per step (one row per step and name) and per-matrix vectors per step
// (one little-endian float32 blob per step and kind, one value per matrix
// index). Writes happen inside the caller's transaction; appending a step that
// is already stored replaces it (a resumed run re-logs steps after its
// checkpoint). It does not check run ids or read-only state (ProjectStore does).
#pragma once

#include "engine/project/projecttypes.h"
#include "engine/project/sqlitestatement.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace engine {

class SqliteDatabase;

class MetricTables
{
public:
    explicit MetricTables(SqliteDatabase &db);

    // Writes `batch` for a run with `matrixCount` matrices; throws engine::Error
    // naming the step and metric if a vector has the wrong length. Call inside a
    // transaction, and call forgetUncommitted() if that transaction rolls back.
    void append(std::int64_t runId, int matrixCount, const std::vector<StepRecord> &batch);
    void forgetUncommitted();

    std::vector<std::string> scalarNames(std::int64_t runId);
    std::vector<std::string> matrixKinds(std::int64_t runId);
    ScalarSeries scalarSeries(std::int64_t runId, const std::string &name, std::int64_t fromStep);
    // All matrices (matrixIndex empty) or one; throws if the index is out of range.
    MatrixSeries matrixSeries(std::int64_t runId, const std::string &kind, int matrixCount,
        std::optional<int> matrixIndex, std::int64_t fromStep);

private:
    std::int64_t nameId(const std::string &name); // creates the name if new
    std::optional<std::int64_t> findNameId(const std::string &name);
    std::vector<std::string> namesUsedBy(std::int64_t runId, const char *table, const char *column);

    SqliteDatabase &m_db;
    std::unordered_map<std::string, std::int64_t> m_nameIds;
    std::optional<SqliteStatement> m_insertScalar;
    std::optional<SqliteStatement> m_insertMatrix;
    std::vector<unsigned char> m_blob;
};

} // namespace engine

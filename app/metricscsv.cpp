#include "app/metricscsv.h"

#include "engine/project/projectstore.h"

#include <QSaveFile>

#include <cmath>
#include <map>
#include <vector>

namespace app {

namespace {

struct Column
{
    QString header;
    std::map<std::int64_t, double> values; // by step
};

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')))
        return text;
    return QLatin1Char('"') + QString(text).replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
}

QString readColumns(const engine::ProjectStore &store, qint64 runId, std::vector<Column> &columns)
{
    const auto scalars = store.scalarNames(runId);
    const auto kinds = store.matrixKinds(runId);
    const auto matrices = store.matrixNames(runId);
    if (!scalars || !kinds || !matrices)
        return QString::fromStdString(!scalars ? scalars.message() : !kinds ? kinds.message() : matrices.message());
    for (const std::string &name : scalars.value()) {
        const auto series = store.scalarSeries(runId, name);
        if (!series)
            return QString::fromStdString(series.message());
        Column column{QString::fromStdString(name), {}};
        for (size_t i = 0; i < series->steps.size(); ++i)
            column.values[series->steps[i]] = series->values[i];
        columns.push_back(std::move(column));
    }
    for (const std::string &kind : kinds.value()) {
        const auto series = store.matrixSeries(runId, kind);
        if (!series)
            return QString::fromStdString(series.message());
        for (int m = 0; m < series->matrixCount; ++m) {
            const std::string matrix = size_t(m) < matrices->size() ? matrices.value()[size_t(m)] : std::to_string(m);
            Column column{QString::fromStdString(kind + ":" + matrix), {}};
            for (size_t i = 0; i < series->steps.size(); ++i)
                column.values[series->steps[i]] = series->values[i * size_t(series->matrixCount) + size_t(m)];
            columns.push_back(std::move(column));
        }
    }
    return {};
}

} // namespace

QString writeRunMetricsCsv(const engine::ProjectStore &store, qint64 runId, const QString &path)
{
    std::vector<Column> columns;
    if (const QString error = readColumns(store, runId, columns); !error.isEmpty())
        return error;
    std::map<std::int64_t, bool> steps;
    for (const Column &column : columns)
        for (const auto &entry : column.values)
            steps[entry.first] = true;

    QByteArray text = "step";
    for (const Column &column : columns)
        text += ',' + csvField(column.header).toUtf8();
    text += '\n';
    for (const auto &entry : steps) {
        text += QByteArray::number(qint64(entry.first));
        for (const Column &column : columns) {
            text += ',';
            const auto it = column.values.find(entry.first);
            if (it != column.values.end() && std::isfinite(it->second))
                text += QByteArray::number(it->second, 'g', 9);
        }
        text += '\n';
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit())
        return QStringLiteral("cannot write '%1': %2").arg(path, file.errorString());
    return {};
}

} // namespace app

// Small helpers shared by the project store tests: unwrap a Result with its
// message, read a file's bytes, read one value straight from the database.
#pragma once

#include "engine/core/status.h"
#include "engine/project/sqlitedatabase.h"

#include <QFile>
#include <QTest>

#include <string>

// QVERIFY2 on a Status/Result, showing the engine's message on failure.
#define LF_VERIFY_OK(expr)                                                                                             \
    do {                                                                                                               \
        const auto &lfOutcome = (expr);                                                                                \
        QVERIFY2(lfOutcome.isOk(), lfOutcome.isOk() ? "" : qPrintable(QString::fromStdString(lfOutcome.message())));   \
    } while (false)

// Verifies `expr` failed with a message containing `part`.
#define LF_VERIFY_FAILS_WITH(expr, part)                                                                               \
    do {                                                                                                               \
        const auto &lfOutcome = (expr);                                                                                \
        QVERIFY2(!lfOutcome.isOk(), "expected a failure");                                                             \
        QVERIFY2(QString::fromStdString(lfOutcome.message()).contains(QLatin1String(part)),                            \
            qPrintable(QStringLiteral("message lacks '%1': %2")                                                        \
                           .arg(QLatin1String(part), QString::fromStdString(lfOutcome.message()))));                   \
    } while (false)

inline QByteArray fileBytes(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

// A value straight from the SQLite file, bypassing ProjectStore.
inline std::string rawText(const QString &project, const char *sql)
{
    engine::SqliteDatabase db(project.toStdString(), engine::SqliteDatabase::Access::ReadOnly);
    return db.queryText(sql);
}

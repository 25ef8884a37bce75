// What opening a project file does with files it must not write: a newer
// schema, a damaged or foreign file, and a project another store holds
// (read-only view with the holder's pid and host; a stale lock is taken over).
#include "engine/project/projectschema.h"
#include "engine/project/projectstore.h"
#include "projecttesthelpers.h"

#include <QCoreApplication>
#include <QTemporaryDir>

#include <memory>

using engine::OpenMode;
using engine::ProjectStore;
using engine::RunStatus;

namespace {

// A project with enough metric rows to span many pages.
void makeProject(const QString &path)
{
    auto store = ProjectStore::create(path.toStdString());
    QVERIFY(store.isOk());
    engine::RunSpec spec;
    spec.name = "r";
    spec.matrixNames = { "a", "b" };
    const std::int64_t runId = store->createRun(spec).value();
    std::vector<engine::StepRecord> batch;
    for (int s = 0; s < 400; ++s)
        batch.push_back({ s, { { "loss", 1.0 / (s + 1) } }, { { "dA_norm", { 1.0f, 2.0f } } } });
    QVERIFY(store->appendMetrics(runId, batch).isOk());
}

void overwrite(const QString &path, qint64 offset, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.seek(offset));
    QCOMPARE(file.write(bytes), qint64(bytes.size()));
}

} // namespace

class TestProjectFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void newerSchemaIsRefusedUntouched()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("p.lorafit"));
        makeProject(path);
        {
            engine::SqliteDatabase db(path.toStdString(), engine::SqliteDatabase::Access::ReadWrite);
            db.exec("PRAGMA user_version = " + std::to_string(engine::kProjectSchemaVersion + 1));
        }
        const QByteArray before = fileBytes(path);
        for (OpenMode mode : { OpenMode::ReadWrite, OpenMode::ReadOnly })
            LF_VERIFY_FAILS_WITH(ProjectStore::open(path.toStdString(), mode), "was written by a newer Lorafit");
        QCOMPARE(fileBytes(path), before);
        QVERIFY(!QFile::exists(path + QStringLiteral(".lock")));
        QVERIFY(!QFile::exists(path + QStringLiteral("-wal"))); // nothing created next to it either
        QVERIFY(!QFile::exists(path + QStringLiteral("-shm")));
    }

    void unusableFilesAreRefusedUntouched_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("message");
        QTest::newRow("text") << "text"
                              << "not an SQLite database";
        QTest::newRow("empty") << "empty"
                               << "is empty";
        QTest::newRow("truncated header") << "truncated"
                                          << "not an SQLite database";
        QTest::newRow("damaged pages") << "damaged"
                                       << "damaged";
        QTest::newRow("another program's database") << "foreign"
                                                    << "of another program";
    }

    void unusableFilesAreRefusedUntouched()
    {
        QFETCH(QString, kind);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("p.lorafit"));
        if (kind == QLatin1String("text")) {
            overwrite(path, 0, QByteArray("model: gpt2\n").repeated(50));
        } else if (kind == QLatin1String("empty")) {
            overwrite(path, 0, QByteArray());
        } else if (kind == QLatin1String("truncated")) {
            makeProject(path);
            QVERIFY(QFile::resize(path, 40));
        } else if (kind == QLatin1String("damaged")) {
            makeProject(path);
            overwrite(path, 4096, QByteArray(3 * 4096, '\xA5')); // pages 2-4: garbage, header intact
        } else {
            engine::SqliteDatabase db(path.toStdString(), engine::SqliteDatabase::Access::Create);
            db.exec("CREATE TABLE notes(text TEXT); INSERT INTO notes VALUES ('hello');");
        }
        const QByteArray before = fileBytes(path);
        for (OpenMode mode : { OpenMode::ReadWrite, OpenMode::ReadOnly }) {
            const auto store = ProjectStore::open(path.toStdString(), mode);
            LF_VERIFY_FAILS_WITH(store, qPrintable(message));
            QVERIFY2(store.message().find("(hint: ") != std::string::npos, store.message().c_str());
        }
        LF_VERIFY_FAILS_WITH(ProjectStore::create(path.toStdString()), "already exists");
        QCOMPARE(fileBytes(path), before);
        QVERIFY(!QFile::exists(path + QStringLiteral("-wal")));
    }

    void missingFileIsExplained()
    {
        LF_VERIFY_FAILS_WITH(ProjectStore::open("/no/such/folder/p.lorafit"), "does not exist");
        LF_VERIFY_FAILS_WITH(
            ProjectStore::create("/no/such/folder/p.lorafit"), "the folder '/no/such/folder' does not exist");
    }

    void secondOpenIsAReadOnlyView()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("p.lorafit")).toStdString();
        auto firstHolder = std::make_unique<engine::Result<ProjectStore>>(ProjectStore::create(path));
        auto &first = *firstHolder;
        LF_VERIFY_OK(first);
        engine::RunSpec spec;
        spec.name = "live";
        const std::int64_t runId = first->createRun(spec).value();
        LF_VERIFY_OK(first->appendMetrics(runId, { { 0, { { "loss", 3.0 } }, {} } }));

        auto second = ProjectStore::open(path);
        LF_VERIFY_OK(second);
        QVERIFY(second->isReadOnly());
        const QString reason = QString::fromStdString(second->readOnlyReason());
        const QString pid = QString::number(QCoreApplication::applicationPid());
        QVERIFY2(
            reason.startsWith(QStringLiteral("open elsewhere (by process %1 on host ").arg(pid)), qPrintable(reason));
        QVERIFY2(
            reason.contains(QLatin1String(" since ")) && reason.contains(QLatin1String(" UTC)")), qPrintable(reason));
        // The view reads what the writer committed; the live run stays "running".
        QCOMPARE(second->run(runId).value().status, RunStatus::Running);
        QCOMPARE(second->scalarSeries(runId, "loss").value().values, std::vector<double> { 3.0 });
        LF_VERIFY_FAILS_WITH(second->createRun(spec), "open elsewhere");
        LF_VERIFY_FAILS_WITH(second->setSettingsSection({ "lora", 1, "{}" }), "is read-only here");

        firstHolder.reset(); // closes the first store, releasing the lock
        auto third = ProjectStore::open(path);
        LF_VERIFY_OK(third);
        QVERIFY(!third->isReadOnly());
        // Its writer is gone, so the run it left running is interrupted.
        QCOMPARE(third->interruptedOnOpen(), std::vector<std::int64_t> { runId });
        QCOMPARE(third->run(runId).value().status, RunStatus::Interrupted);
    }

    void staleLockFileIsTakenOver()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("p.lorafit"));
        makeProject(path);
        // What a killed process leaves: a lock file naming it, but no lock held.
        overwrite(path + QStringLiteral(".lock"), 0, "999999 gone-host 1000\n");
        auto store = ProjectStore::open(path.toStdString());
        LF_VERIFY_OK(store);
        QVERIFY2(!store->isReadOnly(), store->readOnlyReason().c_str());
        const QByteArray holder = fileBytes(path + QStringLiteral(".lock"));
        QVERIFY2(holder.startsWith(QByteArray::number(QCoreApplication::applicationPid()) + ' '), holder.constData());
    }

    void readOnlyModeOfAnUnheldProject()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("p.lorafit")).toStdString();
        std::int64_t runId = 0;
        {
            auto store = ProjectStore::create(path);
            runId = store->createRun({}).value();
        }
        // Simulate a dead writer: put the run back to "running" behind the store's back.
        {
            engine::SqliteDatabase db(path, engine::SqliteDatabase::Access::ReadWrite);
            db.exec("UPDATE run SET status = 'running', ended_at = NULL");
        }
        auto view = ProjectStore::open(path, OpenMode::ReadOnly);
        LF_VERIFY_OK(view);
        QVERIFY(view->isReadOnly());
        QCOMPARE(view->readOnlyReason(), std::string("opened read-only"));
        QCOMPARE(view->run(runId).value().status, RunStatus::Interrupted); // shown, not written
        QVERIFY(view->interruptedOnOpen().empty());
        QCOMPARE(rawText(QString::fromStdString(path), "SELECT status FROM run"), std::string("running"));
    }
};

QTEST_GUILESS_MAIN(TestProjectFiles)
#include "test_projectfiles.moc"

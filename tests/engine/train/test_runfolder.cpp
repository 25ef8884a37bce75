// Run folders: the newest checkpoint is found by its step as a number, and
// names that are not checkpoint-<digits> (temporary, partial, files) are ignored.
#include "engine/train/runfolder.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

class TestRunFolder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void checkpointStepReadsOnlyDigits_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<qint64>("step"); // -1: not a checkpoint
        QTest::newRow("plain") << "checkpoint-120" << qint64(120);
        QTest::newRow("zero") << "checkpoint-0" << qint64(0);
        QTest::newRow("leading zeros") << "checkpoint-007" << qint64(7);
        QTest::newRow("tmp") << "checkpoint-120.tmp" << qint64(-1);
        QTest::newRow("partial") << ".checkpoint-3.partial" << qint64(-1);
        QTest::newRow("word") << "checkpoint-best" << qint64(-1);
        QTest::newRow("no digits") << "checkpoint-" << qint64(-1);
        QTest::newRow("sign") << "checkpoint--5" << qint64(-1);
        QTest::newRow("other prefix") << "run-20" << qint64(-1);
        QTest::newRow("too long") << "checkpoint-99999999999999999999" << qint64(-1);
    }

    void checkpointStepReadsOnlyDigits()
    {
        QFETCH(QString, name);
        QFETCH(qint64, step);
        const auto parsed = engine::checkpointStep(name.toStdString());
        QCOMPARE(parsed ? qint64(*parsed) : qint64(-1), step);
    }

    void newestIsComparedAsANumber()
    {
        QTemporaryDir dir;
        for (const char *name : { "checkpoint-999", "checkpoint-1000", "checkpoint-20", "checkpoint-5000.tmp",
                 ".checkpoint-6000.partial", "checkpoint-best" })
            QVERIFY(QDir(dir.path()).mkdir(QLatin1String(name)));
        QFile file(dir.filePath(QStringLiteral("checkpoint-7000"))); // a file, not a folder
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        QCOMPARE(QString::fromStdString(engine::newestCheckpoint(dir.path().toStdString())),
            dir.filePath(QStringLiteral("checkpoint-1000")));
    }

    void noneGivesEmpty()
    {
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("checkpoint-x")));
        QVERIFY(engine::newestCheckpoint(dir.path().toStdString()).empty());
        QVERIFY(engine::newestCheckpoint(dir.filePath(QStringLiteral("missing")).toStdString()).empty());
    }

    void stampedFoldersDoNotCollide()
    {
        QTemporaryDir dir;
        const QString first = QString::fromStdString(engine::newStampedFolder(dir.path().toStdString(), "sweep"));
        QVERIFY2(QFileInfo(first).fileName().startsWith(QStringLiteral("sweep-")), qPrintable(first));
        QVERIFY(QDir().mkpath(first));
        const QString second = QString::fromStdString(engine::newStampedFolder(dir.path().toStdString(), "sweep"));
        QVERIFY(second != first);
        QVERIFY(!QFileInfo::exists(second));
    }
};

QTEST_GUILESS_MAIN(TestRunFolder)
#include "test_runfolder.moc"

#include "engine/core/atomicfile.h"
#include "engine/core/status.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

class TestAtomicFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesAndReplaces()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("a.bin")).toStdString();
        engine::writeFileAtomically(path, "first");
        engine::writeFileAtomically(path, "second");
        QCOMPARE(QString::fromStdString(engine::readFile(path)), QStringLiteral("second"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 1); // no temporary left
    }

    void abandonedWriteLeavesOldFileIntact()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("a.bin")).toStdString();
        engine::writeFileAtomically(path, "old");
        {
            engine::AtomicFile file(path);
            file.write("half of the new con");
        } // destroyed without commit, as when an exception unwinds
        QCOMPARE(QString::fromStdString(engine::readFile(path)), QStringLiteral("old"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 1);
    }

    void errorsNameThePath()
    {
        try {
            engine::writeFileAtomically("/proc/no-such-dir/x.bin", "x");
            QFAIL("expected an error");
        } catch (const engine::Error &e) {
            QVERIFY(QString::fromUtf8(e.what()).contains(QLatin1String("/proc/no-such-dir/x.bin")));
        }
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::readFile("/no/such/file"));
    }
};

QTEST_GUILESS_MAIN(TestAtomicFile)
#include "test_atomicfile.moc"

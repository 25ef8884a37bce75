#include "engine/core/runtime.h"

#include <QTest>

class TestRuntime : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void explicitThreadCountWins()
    {
        QCOMPARE(engine::initRuntime(3), 3);
        QCOMPARE(torch::get_num_threads(), 3);
        QCOMPARE(engine::runtimeInfo().threads, 3);
    }

    void environmentOverridesDefault()
    {
        qputenv("LORAFIT_THREADS", "2");
        QCOMPARE(engine::initRuntime(), 2);
        qputenv("LORAFIT_THREADS", "garbage");
        QCOMPARE(engine::initRuntime(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
        qunsetenv("LORAFIT_THREADS");
    }

    void cpuIsAlwaysListedFirst()
    {
        const engine::RuntimeInfo info = engine::runtimeInfo();
        QVERIFY(!info.devices.empty());
        QCOMPARE(QString::fromStdString(info.devices.front().id), QStringLiteral("cpu"));
        QVERIFY(QString::fromStdString(info.torchVersion).count(QLatin1Char('.')) == 2);
    }
};

QTEST_GUILESS_MAIN(TestRuntime)
#include "test_runtime.moc"

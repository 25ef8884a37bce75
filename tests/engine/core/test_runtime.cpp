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

    // Debian 12's OpenBLAS takes CPUs newer than itself for a Prescott; after
    // initRuntime the kernels in use are the widest the CPU supports, unless
    // the user chose them with OPENBLAS_CORETYPE.
    void blasKernelsFitTheCpu()
    {
        engine::initRuntime(2);
        const engine::RuntimeInfo info = engine::runtimeInfo();
        if (info.blasCore.empty())
            QSKIP("the BLAS in use is not a DYNAMIC_ARCH OpenBLAS");
        if (qEnvironmentVariableIsSet("OPENBLAS_CORETYPE"))
            QSKIP("OPENBLAS_CORETYPE is set");
        QVERIFY2(!QString::fromStdString(info.blasWarning).contains(QStringLiteral("narrower")),
                 info.blasWarning.c_str());
        if (!info.blasNote.empty())
            QVERIFY2(QString::fromStdString(info.blasNote).contains(QString::fromStdString(info.blasCore)),
                     info.blasNote.c_str());
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

#include "engine/core/status.h"

#include <QTest>

#include <memory>

class TestStatus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void successAndFailure()
    {
        QVERIFY(engine::Status::success().isOk());
        const engine::Status failed = engine::Status::failure("bad thing (hint: fix it)");
        QVERIFY(!failed.isOk());
        QCOMPARE(QString::fromStdString(failed.message()), QStringLiteral("bad thing (hint: fix it)"));
    }

    void resultHoldsValueOrStatus()
    {
        engine::Result<std::unique_ptr<int>> value(std::make_unique<int>(7));
        QVERIFY(value.isOk());
        QCOMPARE(*value.value(), 7);
        engine::Result<int> failed(engine::Status::failure("nope"));
        QVERIFY(!failed.isOk());
        QCOMPARE(QString::fromStdString(failed.message()), QStringLiteral("nope"));
        // A Result can never be "ok without a value".
        engine::Result<int> odd{engine::Status::success()};
        QVERIFY(!odd.isOk());
    }

    void guardConvertsExceptions()
    {
        const engine::Status ok = engine::guard([] {});
        QVERIFY(ok.isOk());
        const engine::Status thrown = engine::guard([] { throw engine::Error("file 'x': broken"); });
        QCOMPARE(QString::fromStdString(thrown.message()), QStringLiteral("file 'x': broken"));
        const auto result = engine::guard([]() -> int { throw std::bad_alloc(); });
        QVERIFY(!result.isOk());
        QVERIFY(QString::fromStdString(result.message()).startsWith(QStringLiteral("out of memory")));
        const auto value = engine::guard([] { return 42; });
        QVERIFY(value.isOk());
        QCOMPARE(value.value(), 42);
    }
};

QTEST_GUILESS_MAIN(TestStatus)
#include "test_status.moc"

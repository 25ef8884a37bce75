// train/outofmemory.h: what counts as a device out-of-memory (the allocator's
// c10::OutOfMemoryError, a CUDA "out of memory" c10::Error from a library
// workspace; not a plain std::runtime_error or another c10::Error), and the
// message the run stops with: batch size, sequence length, the estimate, the
// allocator's own first line, and the hints. Other errors and results pass
// through withOutOfMemoryHint() unchanged.
#include "engine/train/outofmemory.h"

#include <c10/util/Exception.h>

#include <QTest>

namespace {

const c10::SourceLocation kHere{ "test", __FILE__, static_cast<std::uint32_t>(__LINE__) };

engine::StepMemoryContext context()
{
    return { "cuda:0", 16, 1024, std::int64_t(23) * 1024 * 1024 * 1024 };
}

} // namespace

class TestOutOfMemory : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void recognisesOutOfMemory()
    {
        QVERIFY(engine::isOutOfMemory(c10::OutOfMemoryError(kHere, "CUDA out of memory. Tried to allocate 2.00 GiB")));
        QVERIFY(engine::isOutOfMemory(c10::Error(kHere, "CUDA error: out of memory")));
        QVERIFY(!engine::isOutOfMemory(c10::Error(kHere, "shape mismatch")));
        QVERIFY(!engine::isOutOfMemory(std::runtime_error("out of memory"))); // not from LibTorch
    }

    void translatesWithFiguresAndHints()
    {
        try {
            engine::withOutOfMemoryHint(context(), []() -> int {
                throw c10::OutOfMemoryError(kHere, "CUDA out of memory. Tried to allocate 2.00 GiB\nmore advice");
            });
            QFAIL("no exception");
        } catch (const engine::Error &error) {
            const QString message = QString::fromUtf8(error.what());
            for (const char *part : { "cuda:0", "batch 16 × 1024 tokens", "23.0 GiB", "Tried to allocate 2.00 GiB",
                     "gradient checkpointing", "\"nf4\"", "batch size" })
                QVERIFY2(message.contains(QString::fromUtf8(part)), qPrintable(message));
            QVERIFY(!message.contains(QStringLiteral("more advice")));
            QVERIFY(message.contains(QStringLiteral("(hint: ")) && message.endsWith(QLatin1Char(')')));
        }
    }

    void passesOtherOutcomesThrough()
    {
        QCOMPARE(engine::withOutOfMemoryHint(context(), [] { return 7; }), 7);
        QVERIFY_THROWS_EXCEPTION(c10::Error, engine::withOutOfMemoryHint(context(), []() -> int {
            throw c10::Error(kHere, "shape mismatch");
        }));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, engine::withOutOfMemoryHint(context(), []() -> int {
            throw std::runtime_error("out of memory");
        }));
    }
};

QTEST_APPLESS_MAIN(TestOutOfMemory)
#include "test_outofmemory.moc"

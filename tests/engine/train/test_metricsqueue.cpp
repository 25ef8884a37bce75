#include "engine/train/metricsqueue.h"

#include <QTest>

#include <atomic>
#include <thread>

class TestMetricsQueue : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void wakesOnlyOnEmptyToNonEmpty()
    {
        int wakes = 0;
        engine::MetricsQueue queue([&] { ++wakes; });
        for (int i = 1; i <= 5; ++i) {
            engine::StepMetrics m;
            m.step = i;
            queue.push(m);
        }
        QCOMPARE(wakes, 1);
        const auto items = queue.drain();
        QCOMPARE(items.size(), std::size_t(5));
        QCOMPARE(items.front().step, std::int64_t(1));
        QCOMPARE(items.back().step, std::int64_t(5));
        QCOMPARE(queue.size(), std::size_t(0));
        queue.push({});
        QCOMPARE(wakes, 2);
    }

    void producerAndConsumerThreadsLoseNothing()
    {
        std::atomic<int> wakes{0};
        engine::MetricsQueue queue([&] { ++wakes; });
        constexpr int kSteps = 20000;
        std::thread producer([&] {
            for (int i = 1; i <= kSteps; ++i) {
                engine::StepMetrics m;
                m.step = i;
                queue.push(m);
            }
        });
        std::int64_t expected = 1;
        while (expected <= kSteps) {
            for (const auto &m : queue.drain()) {
                QCOMPARE(m.step, expected);
                ++expected;
            }
        }
        producer.join();
        QVERIFY(wakes.load() >= 1);
        QVERIFY(wakes.load() <= kSteps);
    }
};

QTEST_GUILESS_MAIN(TestMetricsQueue)
#include "test_metricsqueue.moc"

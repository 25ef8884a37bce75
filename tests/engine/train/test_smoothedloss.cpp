// The displayed loss against the definition computed directly: the weighted
// mean Σ 0.9^(n−i)·0.1·loss_i / Σ 0.9^(n−i)·0.1 over the finite losses.
#include "engine/train/smoothedloss.h"

#include <QTest>

#include <cmath>
#include <vector>

class TestSmoothedLoss : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isTheDebiasedMovingAverage()
    {
        const std::vector<double> losses = { 5.0, 4.0, NAN, 4.5, 3.0, INFINITY, 2.5 };
        engine::SmoothedLoss smoothed;
        QVERIFY(std::isnan(smoothed.value()));
        std::vector<double> kept;
        for (const double loss : losses) {
            smoothed.add(loss);
            if (!std::isfinite(loss))
                continue;
            kept.push_back(loss);
            double sum = 0.0, weight = 0.0;
            for (std::size_t i = 0; i < kept.size(); ++i) {
                const double w = std::pow(0.9, double(kept.size() - 1 - i)) * 0.1;
                sum += w * kept[i];
                weight += w;
            }
            QVERIFY(std::abs(smoothed.value() - sum / weight) < 1e-12);
        }
        QCOMPARE(kept.size(), std::size_t(5));
        engine::SmoothedLoss first;
        first.add(7.0);
        QVERIFY(std::abs(first.value() - 7.0) < 1e-12); // the first step shows its own loss
        first.reset();
        QVERIFY(std::isnan(first.value()));
    }
};

QTEST_APPLESS_MAIN(TestSmoothedLoss)
#include "test_smoothedloss.moc"

#include "ui/plots/boundedseries.h"

#include <QTest>

#include <cmath>

class TestBoundedSeries : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keepsEveryPointUntilFull()
    {
        ui::BoundedSeries series(8);
        for (int i = 0; i < 7; ++i)
            series.append(i, i * i);
        QCOMPARE(series.size(), 7);
        QCOMPARE(series.bucketSize(), 1);
        QCOMPARE(series.ys().at(6), 36.0);
    }

    void storedPointsAreMeansOfEqualBuckets()
    {
        const int capacity = 100;
        const int n = 10007;
        ui::BoundedSeries series(capacity);
        for (int i = 0; i < n; ++i)
            series.append(i, std::sin(i * 0.01) + i * 1e-3);
        QVERIFY(series.size() <= capacity + 1);
        QCOMPARE(series.rawCount(), qint64(n));
        const int bucket = series.bucketSize();
        QVERIFY(bucket > 1);
        // Independent reference: the mean of each block of `bucket` raw points.
        const QVector<double> ys = series.ys();
        const int full = n / bucket;
        for (int b = 0; b < full; ++b) {
            double sum = 0.0;
            for (int i = b * bucket; i < (b + 1) * bucket; ++i)
                sum += std::sin(i * 0.01) + i * 1e-3;
            QVERIFY2(std::abs(ys.at(b) - sum / bucket) < 1e-9, qPrintable(QString::number(b)));
        }
        // The partial bucket is the mean of the remaining raw points.
        if (n % bucket) {
            double sum = 0.0;
            for (int i = full * bucket; i < n; ++i)
                sum += std::sin(i * 0.01) + i * 1e-3;
            QVERIFY(std::abs(ys.last() - sum / (n % bucket)) < 1e-9);
        }
    }

    void ignoresNonFiniteValues()
    {
        ui::BoundedSeries series;
        series.append(1, std::nan(""));
        series.append(2, INFINITY);
        QCOMPARE(series.size(), 0);
        series.append(3, 1.5);
        QCOMPARE(series.lastY(), 1.5);
        series.clear();
        QCOMPARE(series.size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestBoundedSeries)
#include "test_boundedseries.moc"

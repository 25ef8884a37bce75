// The automatic LoRA+ ratio on synthetic agreement streams. A stream models
// what the controller relies on: B's gradients agree with its last updates
// while its steps are too short and turn against them when too long,
// agreement = c·log(λ*/λ) (+ noise), so λ* is the ratio to find. The
// controller must bring λ into the band around λ* and keep it there without
// oscillating, stay within its bounds, hold λ on unusable intervals, and
// restore its state exactly, the open interval included.
#include "engine/train/lambdacontroller.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <random>

namespace {

constexpr double kSlope = 0.05; // c: agreement per unit of log(λ*/λ)
constexpr int kInterval = 10;   // steps per interval

// λ after each of `intervals` intervals of a stream whose optimum is `target`,
// with Gaussian noise of `noise` on every matrix and step.
std::vector<double> follow(engine::LambdaController &controller, double target, int intervals, double noise = 0.0,
    std::size_t matrices = 4)
{
    std::mt19937 random(7);
    std::normal_distribution<double> gauss(0.0, 1.0);
    std::vector<double> lambdas;
    for (int i = 0; i < intervals; ++i) {
        for (int step = 0; step < kInterval; ++step) {
            std::vector<float> agreement;
            for (std::size_t m = 0; m < matrices; ++m)
                agreement.push_back(
                    static_cast<float>(kSlope * std::log(target / controller.ratio("all")) + noise * gauss(random)));
            controller.accumulate(agreement);
        }
        controller.update();
        lambdas.push_back(controller.ratio("all"));
    }
    return lambdas;
}

} // namespace

class TestLambdaController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void convergesIntoTheBandWithoutOscillating_data()
    {
        QTest::addColumn<double>("target");
        QTest::addColumn<double>("noise");
        QTest::newRow("λ* 2, from 16") << 2.0 << 0.0;
        QTest::newRow("λ* 100, from 16") << 100.0 << 0.0;
        QTest::newRow("λ* 4, noisy") << 4.0 << 0.1;
        QTest::newRow("λ* 64, noisy") << 64.0 << 0.1;
    }
    void convergesIntoTheBandWithoutOscillating()
    {
        QFETCH(double, target);
        QFETCH(double, noise);
        const engine::LambdaControllerSettings settings;
        engine::LambdaController controller(std::vector<std::string>(4, "all"), settings);
        const std::vector<double> lambdas = follow(controller, target, 40, noise);
        for (int i = 0; i < settings.warmupIntervals; ++i)
            QCOMPARE(lambdas[std::size_t(i)], 16.0); // the first intervals only measure
        // Within the band for the last 15 intervals (with noise: plus what the median of 4 means of 10 leaves).
        const double slack = (settings.band + 3.0 * noise / std::sqrt(4.0 * kInterval)) / kSlope;
        for (std::size_t i = 25; i < lambdas.size(); ++i)
            QVERIFY2(std::abs(std::log(lambdas[i] / target)) <= slack,
                qPrintable(QStringLiteral("interval %1: λ %2, λ* %3").arg(i).arg(lambdas[i]).arg(target)));
        // No oscillation: the direction of change reverses at most once without noise, rarely with it.
        int reversals = 0;
        double lastDirection = 0.0;
        for (std::size_t i = 1; i < lambdas.size(); ++i) {
            const double change = std::log(lambdas[i] / lambdas[i - 1]);
            if (std::abs(change) < 1e-12)
                continue;
            if (lastDirection != 0.0 && change * lastDirection < 0.0)
                ++reversals;
            lastDirection = change;
        }
        QVERIFY2(reversals <= (noise > 0.0 ? 6 : 1), qPrintable(QStringLiteral("%1 reversals").arg(reversals)));
        // Each step is bounded: at most ×1.5 per interval.
        for (std::size_t i = 1; i < lambdas.size(); ++i)
            QVERIFY(std::abs(std::log(lambdas[i] / lambdas[i - 1])) <= settings.maxStep + 1e-12);
    }

    void respectsItsBounds()
    {
        engine::LambdaController high(std::vector<std::string>(2, "all"));
        QCOMPARE(follow(high, 1e5, 60, 0.0, 2).back(), 256.0);
        engine::LambdaController low(std::vector<std::string>(2, "all"));
        const std::vector<double> lambdas = follow(low, 1e-3, 60, 0.0, 2);
        QVERIFY(std::abs(lambdas.back() - 1.0) < 1e-12);
        for (const double lambda : lambdas)
            QVERIFY(lambda >= 1.0 - 1e-12 && lambda <= 256.0 + 1e-9);
    }

    // NaN values (no update yet, zero gradient) are ignored; an interval with
    // nothing usable holds λ and does not count.
    void unusableIntervalsHoldLambda()
    {
        engine::LambdaController controller(std::vector<std::string>(3, "all"));
        follow(controller, 2.0, 3, 0.0, 3); // past the warm-up, λ moving down
        const double held = controller.ratio("all");
        const float nan = std::numeric_limits<float>::quiet_NaN();
        controller.accumulate({ nan, nan, nan });
        controller.update();
        QCOMPARE(controller.ratio("all"), held);
        controller.update(); // nothing at all
        QCOMPARE(controller.ratio("all"), held);
        controller.accumulate({}); // fewer matrices than the run has
        controller.update();
        QCOMPARE(controller.ratio("all"), held);
        controller.accumulate({ -0.5f, nan, -0.5f }); // usable: the two finite values count
        controller.update();
        QVERIFY(controller.ratio("all") < held);
    }

    // One λ per module type: each key follows its own matrices.
    void keysAreIndependent()
    {
        engine::LambdaController controller({ "q_proj", "v_proj", "q_proj", "v_proj" });
        for (int i = 0; i < 30; ++i) {
            const float q = static_cast<float>(kSlope * std::log(4.0 / controller.ratio("q_proj")));
            const float v = static_cast<float>(kSlope * std::log(64.0 / controller.ratio("v_proj")));
            controller.accumulate({ q, v, q, v });
            controller.update();
        }
        const double slack = engine::LambdaControllerSettings{}.band / kSlope + 1e-9;
        QVERIFY(std::abs(std::log(controller.ratio("q_proj") / 4.0)) <= slack);
        QVERIFY(std::abs(std::log(controller.ratio("v_proj") / 64.0)) <= slack);
        const auto ratios = controller.ratios();
        QCOMPARE(ratios.size(), std::size_t(2));
        QCOMPARE(ratios[0].first, std::string("q_proj"));
        QVERIFY(std::abs(controller.meanRatio() - std::sqrt(ratios[0].second * ratios[1].second)) < 1e-9);
    }

    // The state survives a checkpoint bit for bit, also in the middle of an
    // interval: the restored controller makes the same moves.
    void stateRoundTripsExactly()
    {
        engine::LambdaController a(std::vector<std::string>(4, "all"));
        follow(a, 3.0, 6, 0.05);
        a.accumulate({ 0.1f, 0.2f, 0.05f, 0.3f }); // an open interval
        engine::LambdaController b(std::vector<std::string>(4, "all"));
        QVERIFY(b.restore(a.toJson()).isOk());
        QCOMPARE(b.ratio("all"), a.ratio("all"));
        QCOMPARE(b.smoothedAgreement("all"), a.smoothedAgreement("all"));
        for (engine::LambdaController *c : { &a, &b }) {
            c->accumulate({ 0.3f, 0.1f, 0.2f, 0.2f });
            c->update();
        }
        QCOMPARE(b.ratio("all"), a.ratio("all"));
        QVERIFY(b.ratio("all") != 16.0);

        engine::LambdaController other({ "q_proj", "v_proj" });
        const engine::Status refused = other.restore(a.toJson());
        QVERIFY(!refused.isOk());
        QVERIFY(refused.message().find("does not fit") != std::string::npos);
        QVERIFY(!other.restore("not json").isOk());
        QVERIFY(!a.restore(R"({"tracks": [{"key": "all"}], "sums": [0, 0, 0, 0], "counts": [0, 0, 0, 0]})").isOk());
    }
};

QTEST_APPLESS_MAIN(TestLambdaController)
#include "test_lambdacontroller.moc"

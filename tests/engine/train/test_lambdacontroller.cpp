// The automatic LoRA+ ratio on synthetic δ streams. A stream models the
// steady-state relation the controller relies on: δ2/δ1 grows in proportion
// to λ, log(δ2/δ1) = log λ − log λ*, so λ* is where the two terms are equal.
// The controller must bring λ into the band around λ* and keep it there
// without oscillating, stay within its bounds, hold λ on unusable probes, and
// restore its state exactly.
#include "engine/train/lambdacontroller.h"

#include <QTest>

#include <cmath>
#include <random>

namespace {

std::vector<engine::MatrixMetrics> probe(const std::vector<double> &logRatios)
{
    std::vector<engine::MatrixMetrics> matrices(logRatios.size());
    for (std::size_t i = 0; i < logRatios.size(); ++i) {
        matrices[i].delta1 = 1e-3f;
        matrices[i].delta2 = static_cast<float>(1e-3 * std::exp(logRatios[i]));
    }
    return matrices;
}

// λ after each of `probes` probes of a stream whose equilibrium is `target`,
// with Gaussian noise of `noise` (natural log) on every matrix.
std::vector<double> follow(engine::LambdaController &controller, double target, int probes, double noise = 0.0,
    std::size_t matrices = 4)
{
    std::mt19937 random(7);
    std::normal_distribution<double> gauss(0.0, 1.0);
    std::vector<double> lambdas;
    for (int p = 0; p < probes; ++p) {
        const double lambda = controller.ratio("all");
        std::vector<double> logs;
        for (std::size_t m = 0; m < matrices; ++m)
            logs.push_back(std::log(lambda / target) + noise * gauss(random));
        controller.observe(probe(logs));
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
        QTest::newRow("λ* 4, noisy") << 4.0 << 0.5;
        QTest::newRow("λ* 64, noisy") << 64.0 << 0.5;
    }
    void convergesIntoTheBandWithoutOscillating()
    {
        QFETCH(double, target);
        QFETCH(double, noise);
        const engine::LambdaControllerSettings settings;
        engine::LambdaController controller(std::vector<std::string>(4, "all"), settings);
        const std::vector<double> lambdas = follow(controller, target, 40, noise);
        for (int p = 0; p < settings.warmupProbes; ++p)
            QCOMPARE(lambdas[p], 16.0); // the first probes only measure
        // Within the band (a little more with noise: the median of 4 noisy terms) for the last 15 probes.
        const double slack = settings.band + 2.0 * noise / std::sqrt(4.0);
        for (std::size_t p = 25; p < lambdas.size(); ++p)
            QVERIFY2(std::abs(std::log(lambdas[p] / target)) <= slack,
                qPrintable(QStringLiteral("probe %1: λ %2, λ* %3").arg(p).arg(lambdas[p]).arg(target)));
        // No oscillation: the direction of change reverses at most once without noise, rarely with it.
        int reversals = 0;
        double lastDirection = 0.0;
        for (std::size_t p = 1; p < lambdas.size(); ++p) {
            const double change = std::log(lambdas[p] / lambdas[p - 1]);
            if (std::abs(change) < 1e-12)
                continue;
            if (lastDirection != 0.0 && change * lastDirection < 0.0)
                ++reversals;
            lastDirection = change;
        }
        QVERIFY2(reversals <= (noise > 0.0 ? 4 : 1), qPrintable(QStringLiteral("%1 reversals").arg(reversals)));
        // Each step is bounded: at most ×1.5 per probe.
        for (std::size_t p = 1; p < lambdas.size(); ++p)
            QVERIFY(std::abs(std::log(lambdas[p] / lambdas[p - 1])) <= settings.maxStep + 1e-12);
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

    // NaN, zero or missing terms (a skipped step, B still zero) hold λ and do not count as probes.
    void unusableProbesHoldLambda()
    {
        engine::LambdaController controller(std::vector<std::string>(3, "all"));
        follow(controller, 2.0, 5, 0.0, 3); // past the warm-up, λ moving down
        const double held = controller.ratio("all");
        std::vector<engine::MatrixMetrics> nan(3);
        controller.observe(nan);
        QCOMPARE(controller.ratio("all"), held);
        std::vector<engine::MatrixMetrics> zero(3);
        for (auto &m : zero) {
            m.delta1 = 0.0f;
            m.delta2 = 1.0f;
        }
        controller.observe(zero);
        QCOMPARE(controller.ratio("all"), held);
        controller.observe({}); // fewer matrices than the run has
        QCOMPARE(controller.ratio("all"), held);
        const double before = controller.ratio("all");
        controller.observe(probe({ 3.0, std::nan(""), 3.0 })); // usable: the two finite terms count
        QVERIFY(controller.ratio("all") < before);
    }

    // One λ per module type: each key follows its own matrices.
    void keysAreIndependent()
    {
        engine::LambdaController controller({ "q_proj", "v_proj", "q_proj", "v_proj" });
        for (int p = 0; p < 30; ++p) {
            const double q = controller.ratio("q_proj"), v = controller.ratio("v_proj");
            controller.observe(probe({ std::log(q / 4.0), std::log(v / 64.0), std::log(q / 4.0), std::log(v / 64.0) }));
        }
        QVERIFY(std::abs(std::log(controller.ratio("q_proj") / 4.0)) <= 0.7 + 1e-9);
        QVERIFY(std::abs(std::log(controller.ratio("v_proj") / 64.0)) <= 0.7 + 1e-9);
        const auto ratios = controller.ratios();
        QCOMPARE(ratios.size(), std::size_t(2));
        QCOMPARE(ratios[0].first, std::string("q_proj"));
        QVERIFY(std::abs(controller.meanRatio() - std::sqrt(ratios[0].second * ratios[1].second)) < 1e-9);
    }

    // The state survives a checkpoint bit for bit: the restored controller makes the same moves.
    void stateRoundTripsExactly()
    {
        engine::LambdaController a(std::vector<std::string>(4, "all"));
        follow(a, 3.0, 6, 0.3);
        engine::LambdaController b(std::vector<std::string>(4, "all"));
        QVERIFY(b.restore(a.toJson()).isOk());
        QCOMPARE(b.ratio("all"), a.ratio("all"));
        QCOMPARE(b.smoothedLogRatio("all"), a.smoothedLogRatio("all"));
        const std::vector<engine::MatrixMetrics> next = probe({ 1.0, 1.2, 0.8, 1.1 });
        a.observe(next);
        b.observe(next);
        QCOMPARE(b.ratio("all"), a.ratio("all"));

        engine::LambdaController other({ "q_proj", "v_proj" });
        const engine::Status refused = other.restore(a.toJson());
        QVERIFY(!refused.isOk());
        QVERIFY(refused.message().find("does not fit") != std::string::npos);
        QVERIFY(!other.restore("not json").isOk());
    }
};

QTEST_APPLESS_MAIN(TestLambdaController)
#include "test_lambdacontroller.moc"

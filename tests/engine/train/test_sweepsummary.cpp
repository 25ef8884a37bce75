// The sweep table from hand-made eval curves: final and best eval loss, steps
// to reach plain LoRA's final eval loss, text and JSON forms, and the
// early-stop rule against the best earlier run at the same step.
#include "engine/train/sweepsummary.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>

namespace {

engine::SweepRunResult run(const std::string &label, std::vector<std::pair<std::int64_t, double>> curve,
    std::optional<std::size_t> plain, const std::string &end = "completed")
{
    engine::SweepRunResult result;
    result.label = label;
    result.settings = { { "optimizer.loraplus_ratio", label } };
    result.evalLosses = std::move(curve);
    result.plainLora = plain;
    result.end = end;
    result.seconds = 1.5;
    return result;
}

// λ=1 is plain LoRA (final 2.0); λ=16 reaches 2.0 at step 20; λ=64 never does.
std::vector<engine::SweepRunResult> threeRuns()
{
    return { run("1", { { 0, 3.0 }, { 10, 2.5 }, { 20, 2.2 }, { 30, 2.0 } }, 0),
        run("16", { { 0, 3.0 }, { 10, 2.3 }, { 20, 1.9 }, { 30, 1.7 } }, 0),
        run("64", { { 0, 3.0 }, { 10, 2.4 }, { 20, 2.1 }, { 30, 2.6 } }, 0) };
}

} // namespace

class TestSweepSummary : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tableComparesWithPlainLora()
    {
        const auto rows = engine::sweepTable(threeRuns());
        QCOMPARE(rows.size(), std::size_t(3));
        QCOMPARE(rows[0].stepsToPlainLora.value_or(-1), std::int64_t(30));
        QCOMPARE(rows[1].stepsToPlainLora.value_or(-1), std::int64_t(20));
        QVERIFY(rows[2].hasPlainLora && !rows[2].stepsToPlainLora);
        QCOMPARE(rows[2].finalEvalLoss, 2.6);
        QCOMPARE(rows[2].bestEvalLoss, 2.1);
        QCOMPARE(engine::bestSweepRow(rows).value_or(99), std::size_t(1));
    }

    void withoutPlainLoraThereIsNoStepCount()
    {
        auto runs = threeRuns();
        for (auto &r : runs)
            r.plainLora.reset();
        const auto rows = engine::sweepTable(runs);
        QVERIFY(!rows[1].hasPlainLora && !rows[1].stepsToPlainLora);
        const QString text = QString::fromStdString(engine::sweepTableText(rows));
        QVERIFY2(text.split('\n')[2].contains(QStringLiteral("—")), qPrintable(text));
    }

    void textTableHasOneLinePerRunAndMarksTheBest()
    {
        auto runs = threeRuns();
        runs[2].evalLosses.push_back({ 40, NAN });
        runs[2].end = "worse";
        const QString text = QString::fromStdString(engine::sweepTableText(engine::sweepTable(runs)));
        const QStringList lines = text.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 5); // header, three runs, the footnote
        QVERIFY2(lines[0].startsWith(QStringLiteral("#  setting")), qPrintable(text));
        QVERIFY2(lines[2].contains(QStringLiteral("1.7000 *")) && lines[2].contains(QStringLiteral("20")), qPrintable(text));
        QVERIFY2(lines[3].contains(QStringLiteral("not reached")) && lines[3].endsWith(QStringLiteral("worse")),
            qPrintable(text));
        QVERIFY2(lines[3].contains(QStringLiteral("—")), qPrintable(text)); // its final eval loss is NaN
        // Columns line up by characters although "λ" and "—" take two bytes.
        QCOMPARE(lines[1].indexOf(QStringLiteral("1.5 s")), lines[3].indexOf(QStringLiteral("1.5 s")));
    }

    void jsonHasTheSameNumbers()
    {
        const auto json = nlohmann::json::parse(engine::sweepTableJson(engine::sweepTable(threeRuns())));
        QCOMPARE(json["lorafit_sweep"].get<int>(), 1);
        QCOMPARE(json["runs"].size(), std::size_t(3));
        QCOMPARE(json["runs"][1]["steps_to_plain_lora"].get<int>(), 20);
        QVERIFY(json["runs"][2]["steps_to_plain_lora"].is_null());
        QCOMPARE(json["runs"][1]["final_eval_loss"].get<double>(), 1.7);
        QCOMPARE(json["runs"][1]["settings"]["optimizer.loraplus_ratio"].get<std::string>(), std::string("16"));
        QCOMPARE(json["best"].get<int>(), 1);
    }

    void aFailedPlainLoraRunGivesNoTarget()
    {
        auto runs = threeRuns();
        runs[0].end = "worse";
        QVERIFY(!engine::sweepTable(runs)[1].stepsToPlainLora);
    }

    void stopRuleComparesWithTheBestEarlierRunAtTheSameStep()
    {
        engine::SweepStopRule off;
        std::string why;
        QVERIFY(!off.shouldStop(10, NAN, why));

        engine::SweepStopRule rule(1.5);
        QVERIFY(!rule.shouldStop(10, 100.0, why)); // no earlier run: nothing to compare with
        QVERIFY(rule.shouldStop(10, NAN, why));
        QVERIFY2(QString::fromStdString(why).contains("not a number"), why.c_str());
        const auto runs = threeRuns();
        rule.addRun(runs[0]);
        rule.addRun(runs[1]); // best at step 10: 2.3, at 20: 1.9
        QVERIFY(!rule.shouldStop(10, 2.3 * 1.5, why));
        QVERIFY(rule.shouldStop(10, 2.3 * 1.5 + 1e-9, why));
        QVERIFY2(QString::fromStdString(why).contains("step 10") && QString::fromStdString(why).contains("2.3000"),
            why.c_str());
        QVERIFY(!rule.shouldStop(20, 2.8, why));
        QVERIFY(rule.shouldStop(20, 2.9, why));
        QVERIFY(!rule.shouldStop(15, 50.0, why)); // no earlier run was evaluated at step 15
    }
};

QTEST_GUILESS_MAIN(TestSweepSummary)
#include "test_sweepsummary.moc"

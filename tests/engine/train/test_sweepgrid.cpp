// Sweep grids: values split on top-level commas only, the cartesian product in
// a stable order (first axis slowest), every run's settings parsed, a bad or
// empty item named by axis, position and text before anything runs, and the
// plain-LoRA run found for each run.
#include "engine/train/sweepgrid.h"

#include <QTest>

namespace {

std::string baseDocument()
{
    engine::RunSettings settings;
    settings.modelPath = "model";
    settings.dataset.trainPath = "train.jsonl";
    return settings.toDocument();
}

std::vector<engine::SweepAxis> axes(const std::vector<std::string> &texts)
{
    std::vector<engine::SweepAxis> parsed;
    for (const std::string &text : texts) {
        auto axis = engine::parseSweepAxis(text);
        if (!axis)
            qFatal("%s", axis.message().c_str());
        parsed.push_back(std::move(axis).value());
    }
    return parsed;
}

QStringList qt(const std::vector<std::string> &items)
{
    QStringList list;
    for (const std::string &item : items)
        list << QString::fromStdString(item);
    return list;
}

} // namespace

class TestSweepGrid : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void itemsSplitOnTopLevelCommas_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("items");
        QTest::newRow("numbers") << "1,4, 16 ,auto" << QStringList{ "1", "4", "16", "auto" };
        QTest::newRow("one") << "3e-4" << QStringList{ "3e-4" };
        QTest::newRow("arrays") << "[\"q_proj\",\"v_proj\"],[\"o_proj\"]"
                                << QStringList{ "[\"q_proj\",\"v_proj\"]", "[\"o_proj\"]" };
        QTest::newRow("objects") << "{\"a\":1,\"b\":[2,3]},{}" << QStringList{ "{\"a\":1,\"b\":[2,3]}", "{}" };
        QTest::newRow("quotes") << "\"a,b\",\"c\\\",d\",e" << QStringList{ "\"a,b\"", "\"c\\\",d\"", "e" };
        QTest::newRow("empty item") << "1,,4" << QStringList{ "1", "", "4" };
        QTest::newRow("trailing comma") << "1,4," << QStringList{ "1", "4", "" };
    }

    void itemsSplitOnTopLevelCommas()
    {
        QFETCH(QString, text);
        QFETCH(QStringList, items);
        QCOMPARE(qt(engine::splitSweepItems(text.toStdString())), items);
    }

    void productIsStableFirstAxisSlowest()
    {
        const auto grid = axes({ "optimizer.loraplus_ratio=1,4,16", "optimizer.learning_rate=3e-4,1e-3" });
        const auto points = engine::sweepPoints(grid);
        QStringList labels;
        for (const engine::SweepPoint &point : points)
            labels << QString::fromStdString(point.label);
        QCOMPARE(labels, (QStringList{ "λ=1 lr=3e-4", "λ=1 lr=1e-3", "λ=4 lr=3e-4", "λ=4 lr=1e-3", "λ=16 lr=3e-4",
                             "λ=16 lr=1e-3" }));
        QCOMPARE(points[3].assignments[0].value, std::string("4"));
        QCOMPARE(points[3].assignments[1].value, std::string("1e-3"));
        QCOMPARE(points[3].assignments[1].name(), std::string("optimizer.learning_rate"));
    }

    void singleValueAxesStayOutOfTheLabel()
    {
        const auto points = engine::sweepPoints(axes({ "training.max_steps=5", "lora.rank=4,8" }));
        QCOMPARE(points.size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(points[1].label), QStringLiteral("rank=8"));
        QCOMPARE(QString::fromStdString(engine::sweepPoints(axes({ "optimizer.schedule=\"cosine\"" }))[0].label),
            QStringLiteral("schedule=cosine"));
    }

    void everyRunIsParsed()
    {
        const auto runs = engine::expandSweep(baseDocument(),
            axes({ "optimizer.loraplus_ratio=1,16", "optimizer.learning_rate=3e-4,1e-3" }), "base.json");
        QVERIFY2(runs.isOk(), runs.message().c_str());
        QCOMPARE(runs->size(), std::size_t(4));
        QCOMPARE(runs.value()[2].settings.optimizer.loraPlusRatio, 16.0);
        QCOMPARE(runs.value()[2].settings.optimizer.learningRate, 3e-4);
        QCOMPARE(runs.value()[3].settings.optimizer.learningRate, 1e-3);
        QCOMPARE(runs.value()[3].settings.modelPath, std::string("model"));
    }

    // The values the optimizer added for [auto-lambda] go through the settings parser like any other,
    // and a combination it refuses is named by its run.
    void automaticRatioAndRiemannianAreValues()
    {
        // "auto" needs δ probes: an item is judged together with the other settings of its runs.
        const auto alone = engine::expandSweep(baseDocument(),
            axes({ "training.probe_every=0", "optimizer.loraplus_ratio=1,auto" }), "base.json");
        QVERIFY2(QString::fromStdString(alone.message()).startsWith("optimizer.loraplus_ratio: item 2 'auto' is not valid"),
            alone.message().c_str());
        const auto ratios = engine::expandSweep(baseDocument(),
            axes({ "training.probe_every=5", "optimizer.loraplus_ratio=1,auto" }), "base.json");
        QVERIFY2(ratios.isOk(), ratios.message().c_str());
        QCOMPARE(ratios.value()[1].point.label, std::string("λ=auto"));
        QVERIFY(!ratios.value()[0].settings.optimizer.autoRatio && ratios.value()[1].settings.optimizer.autoRatio);
        const auto names = engine::expandSweep(baseDocument(), axes({ "optimizer.name=adamw,riemannian" }), "base.json");
        QVERIFY2(names.isOk(), names.message().c_str());
        QVERIFY(names.value()[1].settings.optimizer.kind == engine::OptimizerKind::Riemannian);

        const auto both = engine::expandSweep(baseDocument(),
            axes({ "optimizer.name=adamw,riemannian", "optimizer.loraplus_ratio=1,auto", "training.probe_every=5" }),
            "base.json");
        QVERIFY2(QString::fromStdString(both.message()).startsWith("the run name=riemannian λ=auto is not valid"),
            both.message().c_str());
        const auto bad = engine::expandSweep(baseDocument(),
            axes({ "optimizer.loraplus_ratio=16,automatic", "training.probe_every=5" }), "base.json");
        QVERIFY2(QString::fromStdString(bad.message()).startsWith("optimizer.loraplus_ratio: item 2 'automatic' is not valid"),
            bad.message().c_str());
    }

    void badItemsAreNamed_data()
    {
        QTest::addColumn<QStringList>("grid");
        QTest::addColumn<QString>("expected");
        QTest::newRow("word for a number") << QStringList{ "optimizer.learning_rate=1e-3", "optimizer.loraplus_ratio=1,4,x" }
                                           << "optimizer.loraplus_ratio: item 3 'x' is not valid";
        QTest::newRow("out of range") << QStringList{ "optimizer.loraplus_ratio=0.5,4" }
                                      << "optimizer.loraplus_ratio: item 1 '0.5' is not valid";
        QTest::newRow("unknown key") << QStringList{ "optimizer.loraplus_ration=4" }
                                     << "optimizer.loraplus_ration: item 1 '4' is not valid";
        QTest::newRow("unknown section") << QStringList{ "optimiser.learning_rate=4" }
                                         << "optimiser.learning_rate: item 1 '4' is not valid";
        QTest::newRow("twice") << QStringList{ "lora.rank=4", "lora.rank=8" } << "lora.rank is given twice";
    }

    void badItemsAreNamed()
    {
        QFETCH(QStringList, grid);
        QFETCH(QString, expected);
        std::vector<std::string> texts;
        for (const QString &text : grid)
            texts.push_back(text.toStdString());
        const auto runs = engine::expandSweep(baseDocument(), axes(texts), "base.json");
        QVERIFY(!runs.isOk());
        QVERIFY2(QString::fromStdString(runs.message()).startsWith(expected), runs.message().c_str());
    }

    void emptyItemsAndBadNamesAreNamed_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("empty") << "optimizer.loraplus_ratio=1,,4" << "optimizer.loraplus_ratio: item 2 of 3 is empty";
        QTest::newRow("trailing") << "optimizer.loraplus_ratio=1,4," << "item 3 of 3 is empty";
        QTest::newRow("no key") << "loraplus_ratio=1,4" << "expected SECTION.KEY=VALUE";
        QTest::newRow("no values") << "optimizer.loraplus_ratio=" << "no value after '='";
    }

    void emptyItemsAndBadNamesAreNamed()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const auto axis = engine::parseSweepAxis(text.toStdString());
        QVERIFY(!axis.isOk());
        QVERIFY2(QString::fromStdString(axis.message()).contains(expected), axis.message().c_str());
    }

    void comparableRunsMeasureAnEvalLoss()
    {
        engine::RunSettings settings;
        settings.training.evalEvery = 10;
        settings.dataset.validationFraction = 0.1;
        QVERIFY(engine::sweepComparable(settings).isOk());
        settings.dataset.validationFraction = 0.0;
        QVERIFY(QString::fromStdString(engine::sweepComparable(settings).message()).contains("no validation data"));
        settings.dataset.validationPath = "val.jsonl";
        QVERIFY(engine::sweepComparable(settings).isOk());
        settings.training.evalEvery = 0;
        QVERIFY(QString::fromStdString(engine::sweepComparable(settings).message()).startsWith("training.eval_every is 0"));
    }

    void plainLoraIsTheRatioOneRunWithTheSameOtherSettings()
    {
        const auto grid = axes({ "optimizer.learning_rate=3e-4,1e-3", "optimizer.loraplus_ratio=16,1.0,auto" });
        const auto points = engine::sweepPoints(grid);
        // Runs: 0 lr3e-4 λ16, 1 lr3e-4 λ1, 2 lr3e-4 auto, 3 lr1e-3 λ16, 4 lr1e-3 λ1, 5 lr1e-3 auto
        QCOMPARE(engine::plainLoraRun(grid, points, 0).value_or(99), std::size_t(1));
        QCOMPARE(engine::plainLoraRun(grid, points, 2).value_or(99), std::size_t(1));
        QCOMPARE(engine::plainLoraRun(grid, points, 5).value_or(99), std::size_t(4));
        QCOMPARE(engine::plainLoraRun(grid, points, 4).value_or(99), std::size_t(4));

        const auto withOptimizer = axes({ "optimizer.name=riemannian,adamw", "optimizer.loraplus_ratio=1,16" });
        const auto named = engine::sweepPoints(withOptimizer);
        QCOMPARE(engine::plainLoraRun(withOptimizer, named, 0).value_or(99), std::size_t(2)); // adamw, λ=1

        const auto noRatio = axes({ "optimizer.learning_rate=3e-4,1e-3" });
        QVERIFY(!engine::plainLoraRun(noRatio, engine::sweepPoints(noRatio), 0));
        const auto noOne = axes({ "optimizer.loraplus_ratio=4,16" });
        QVERIFY(!engine::plainLoraRun(noOne, engine::sweepPoints(noOne), 1));
    }
};

QTEST_GUILESS_MAIN(TestSweepGrid)
#include "test_sweepgrid.moc"

// app::SweepQueue without widgets: the dialog's text is checked line by line
// (errors name their line), a 2-run grid trains through a real
// TrainingSession on a tiny model and is recorded in the project as
// "sweep λ=…", and cancel() stops the current run and skips the rest.
#include "app/projectdocument.h"
#include "app/sweepqueue.h"
#include "app/trainingsession.h"
#include "tests/engine/train/trainfixture.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

engine::RunSettings base()
{
    engine::RunSettings settings;
    settings.modelPath = "model";
    settings.dataset.trainPath = "train.jsonl";
    settings.dataset.validationFraction = 0.25;
    settings.training.evalEvery = 1;
    return settings;
}

// A saved project on the tiny model: validation split, eval every step, `steps` steps.
bool openProject(app::ProjectDocument &document, const QTemporaryDir &dir, std::int64_t steps)
{
    trainfixture::write(dir.path(), "llama", 16);
    engine::RunSettings settings = trainfixture::settings(dir.path(), steps, 0.25);
    settings.training.evalEvery = 1;
    settings.training.threads = 1;
    document.newProject();
    document.setSettings(settings);
    return document.saveAs(dir.filePath(QStringLiteral("sweep.lorafit"))).isEmpty();
}

} // namespace

class TestSweepQueue : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void checkNamesTheLine_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QList<int>>("lines");
        QTest::addColumn<QString>("first");
        QTest::newRow("bad item") << "optimizer.loraplus_ratio = 1, 4\n\n# a comment\noptimizer.learning_rate = 1e-3, x"
                                  << QList<int>{ 3 } << "optimizer.learning_rate: item 2 'x' is not valid";
        QTest::newRow("two bad lines") << "optimizer.loraplus_ratio = 1,,4\nlora.rank = 4\nrank = 8"
                                       << QList<int>{ 0, 2 } << "optimizer.loraplus_ratio: item 2 of 3 is empty";
        QTest::newRow("twice") << "lora.rank = 4\noptimizer.loraplus_ratio = 1, 16\nlora.rank = 8" << QList<int>{ 2 }
                               << "lora.rank is given twice";
        QTest::newRow("nothing") << "\n# only a comment\n" << QList<int>{ -1 } << "Write one setting per line";
        QTest::newRow("no eval") << "training.eval_every = 0" << QList<int>{ -1 } << "training.eval_every is 0";
    }

    void checkNamesTheLine()
    {
        QFETCH(QString, text);
        QFETCH(QList<int>, lines);
        QFETCH(QString, first);
        const auto errors = app::SweepQueue::check(text, base());
        QList<int> got;
        for (const auto &error : errors)
            got << error.line;
        QCOMPARE(got, lines);
        QVERIFY2(errors.front().message.startsWith(first), qPrintable(errors.front().message));
    }

    void checkPlansTheGrid()
    {
        app::SweepQueue::Plan plan;
        QVERIFY(app::SweepQueue::check("optimizer.loraplus_ratio = 1, 16\noptimizer.learning_rate = 3e-4, 1e-3", base(),
                    &plan)
                    .empty());
        QCOMPARE(plan.runs.size(), std::size_t(4));
        QCOMPARE(plan.runs[1].point.label, std::string("λ=1 lr=1e-3"));
        QCOMPARE(plan.runs[2].settings.optimizer.loraPlusRatio, 16.0);
    }

    void runsTheGridAndRecordsEveryRun()
    {
        QTemporaryDir dir;
        app::ProjectDocument document;
        QVERIFY(openProject(document, dir, 2));
        app::TrainingSession session(&document);
        app::SweepQueue queue(&session, &document);
        QSignalSpy finished(&queue, &app::SweepQueue::finished);
        QSignalSpy started(&queue, &app::SweepQueue::runStarted);
        QCOMPARE(queue.start(QStringLiteral("optimizer.loraplus_ratio = 1, 16")), QString());
        QVERIFY(queue.isRunning());
        QCOMPARE(queue.start(QStringLiteral("optimizer.loraplus_ratio = 1")), QStringLiteral("A run is already in progress."));
        QVERIFY(finished.wait(240000));
        QCOMPARE(finished.first().first().toBool(), false); // not cancelled
        QCOMPARE(started.size(), 2);
        QVERIFY(!queue.isRunning());

        QCOMPARE(queue.results().size(), std::size_t(2));
        for (const engine::SweepRunResult &result : queue.results()) {
            QCOMPARE(result.end, std::string("completed"));
            QCOMPARE(result.steps, std::int64_t(2));
            QCOMPARE(result.evalLosses.size(), std::size_t(3)); // steps 0, 1 and 2
        }
        QVERIFY(queue.table()[1].stepsToPlainLora || queue.table()[1].hasPlainLora);
        QVERIFY(queue.table()[0].stepsToPlainLora); // plain LoRA reaches its own final eval loss

        const auto runs = document.store()->runs();
        QVERIFY(runs.isOk() && runs->size() == 2);
        QCOMPARE(runs.value()[0].name, std::string("sweep λ=1"));
        QCOMPARE(runs.value()[1].name, std::string("sweep λ=16"));
        QCOMPARE(queue.runIds(), (std::vector<qint64>{ runs.value()[0].id, runs.value()[1].id }));
        QVERIFY(queue.bestRunId() == runs.value()[0].id || queue.bestRunId() == runs.value()[1].id);
    }

    void cancelStopsTheRunAndSkipsTheRest()
    {
        QTemporaryDir dir;
        app::ProjectDocument document;
        QVERIFY(openProject(document, dir, 100000));
        app::TrainingSession session(&document);
        app::SweepQueue queue(&session, &document);
        QSignalSpy finished(&queue, &app::SweepQueue::finished);
        QSignalSpy progress(&queue, &app::SweepQueue::progress);
        QCOMPARE(queue.start(QStringLiteral("optimizer.loraplus_ratio = 1, 4, 16")), QString());
        QVERIFY(progress.wait(120000));
        queue.cancel();
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.first().first().toBool(), true);
        QCOMPARE(queue.results().size(), std::size_t(1));
        QCOMPARE(queue.results().front().end, std::string("stopped"));
        QCOMPARE(document.store()->runs()->size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestSweepQueue)
#include "test_sweepqueue.moc"

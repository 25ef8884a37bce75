// `lorafit-cli sweep` as a user runs it on a tiny model: a 2-run grid writes
// both runs, a table with a row each and the same table as JSON; a project
// records every run under a "sweep …" name; λ = "auto" is one more value;
// --stop-worse stops a run far behind an earlier one; a bad grid is named
// before anything trains.
#include "engine/project/projectstore.h"
#include "tests/engine/train/trainfixture.h"
#include "tests/processrun.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

using Run = test::ProcessRun;

Run cli(const QStringList &arguments)
{
    return test::runProcess(QStringLiteral(LF_CLI_EXE), arguments);
}

// A settings file for the fixture: validation split, eval every 2 steps, 4 steps.
QString writeConfig(const QTemporaryDir &dir)
{
    engine::RunSettings settings = trainfixture::settings(dir.path(), 4, 0.25);
    settings.training.evalEvery = 2;
    settings.training.checkpointEvery = 0;
    settings.modelPath = "model";
    settings.dataset.trainPath = "train.jsonl";
    return trainfixture::writeDocument(dir.path(), settings);
}

QJsonArray jsonRuns(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("runs")).toArray();
}

} // namespace

class TestSweepCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sweepsAGridAndPrintsTheTable()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama", 16);
        const QString config = writeConfig(dir);
        const QString out = dir.filePath(QStringLiteral("sweep"));
        const QString json = dir.filePath(QStringLiteral("table.json"));
        const Run run = cli({ "sweep", config, "--set", "optimizer.loraplus_ratio=1,16", "--max-steps", "2", "--out",
            out, "--json", json, "-q" });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err + run.out));
        const QStringList lines = run.out.split('\n');
        QVERIFY2(lines.size() > 3 && lines[0].contains(QStringLiteral("final eval")), qPrintable(run.out));
        QVERIFY2(lines[1].contains(QStringLiteral("λ=1 ")) && lines[1].endsWith(QStringLiteral("completed")),
            qPrintable(run.out));
        QVERIFY2(lines[2].contains(QStringLiteral("λ=16")), qPrintable(run.out));

        const QJsonArray runs = jsonRuns(json);
        QCOMPARE(runs.size(), 2);
        for (const QJsonValue &value : runs) {
            const QJsonObject row = value.toObject();
            QVERIFY(row.value(QStringLiteral("final_eval_loss")).isDouble());
            QVERIFY(row.value(QStringLiteral("best_eval_loss")).toDouble() <= row.value("final_eval_loss").toDouble());
            QCOMPARE(row.value(QStringLiteral("end")).toString(), QStringLiteral("completed"));
        }
        // Plain LoRA reaches its own final eval loss, at the latest at its last step.
        QVERIFY(runs[0].toObject().value(QStringLiteral("steps_to_plain_lora")).toInt(-1) >= 0);
        QVERIFY(runs[0].toObject().value(QStringLiteral("steps_to_plain_lora")).toInt(-1) <= 2);
        QCOMPARE(runs[1].toObject().value("settings").toObject().value("optimizer.loraplus_ratio").toString(),
            QStringLiteral("16"));
        QVERIFY(QFile::exists(QDir(out).filePath(QStringLiteral("run-1/checkpoint-2/adapter_model.safetensors"))));
        QVERIFY(QFile::exists(QDir(out).filePath(QStringLiteral("run-2/checkpoint-2/adapter_model.safetensors"))));
        QCOMPARE(jsonRuns(QDir(out).filePath(QStringLiteral("sweep.json"))), runs);

        const Run again = cli({ "sweep", config, "--set", "optimizer.loraplus_ratio=1", "--out", out, "-q" });
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.err.contains(QStringLiteral("already holds a sweep")), qPrintable(again.err));
    }

    void recordsEveryRunInTheProject()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "gpt2", 16);
        const QString project = dir.filePath(QStringLiteral("demo.lorafit"));
        QCOMPARE(cli({ "project", "import-settings", project, writeConfig(dir) }).exitCode, 0);
        const Run run = cli({ "sweep", project, "--set", "optimizer.learning_rate=1e-2,3e-3", "--max-steps", "2",
            "--threads", "1", "-q" });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err + run.out));
        QVERIFY2(run.out.contains(QStringLiteral("demo.runs/sweep-")), qPrintable(run.out));

        auto store = engine::ProjectStore::open(project.toStdString(), engine::OpenMode::ReadOnly);
        QVERIFY2(store.isOk(), store.message().c_str());
        const auto runs = store->runs();
        QVERIFY(runs.isOk() && runs->size() == 2);
        QStringList names;
        for (const engine::RunInfo &info : runs.value()) {
            names << QString::fromStdString(info.name);
            QCOMPARE(info.status, engine::RunStatus::Finished);
            QCOMPARE(info.lastStep.value_or(-1), std::int64_t(2));
        }
        names.sort();
        QCOMPARE(names, (QStringList{ "sweep lr=1e-2", "sweep lr=3e-3" }));
    }

    // λ = "auto" (issue [auto-lambda]) is one more value of the grid.
    void automaticRatioIsAValue()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama", 16);
        const QString json = dir.filePath(QStringLiteral("table.json"));
        const Run run = cli({ "sweep", writeConfig(dir), "--set", "optimizer.loraplus_ratio=1,auto", "--set", "training.probe_every=1", "--max-steps", "2",
            "--json", json, "-q" });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err + run.out));
        const QJsonArray runs = jsonRuns(json);
        QCOMPARE(runs.size(), 2);
        QCOMPARE(runs[1].toObject().value(QStringLiteral("label")).toString(), QStringLiteral("λ=auto"));
        QCOMPARE(runs[1].toObject().value(QStringLiteral("end")).toString(), QStringLiteral("completed"));
        QVERIFY(runs[1].toObject().value(QStringLiteral("final_eval_loss")).isDouble());
    }

    // Run 2 barely learns (lr 1e-7): at step 2 its eval loss is above run 1's, so --stop-worse 1 stops it there.
    void stopWorseStopsARunBehindAnEarlierOne()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama", 16);
        const QString json = dir.filePath(QStringLiteral("table.json"));
        const Run run = cli({ "sweep", writeConfig(dir), "--set", "optimizer.learning_rate=1e-2,1e-7", "--max-steps",
            "6", "--stop-worse", "1", "--json", json, "-q" });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err + run.out));
        const QJsonArray runs = jsonRuns(json);
        QCOMPARE(runs.size(), 2);
        QCOMPARE(runs[0].toObject().value(QStringLiteral("end")).toString(), QStringLiteral("completed"));
        QCOMPARE(runs[1].toObject().value(QStringLiteral("end")).toString(), QStringLiteral("worse"));
        QVERIFY2(run.out.contains(QStringLiteral("lr=1e-7: worse: eval loss")), qPrintable(run.out));
    }

    void aBadGridIsNamedBeforeAnyRun_data()
    {
        QTest::addColumn<QStringList>("sets");
        QTest::addColumn<QString>("expected");
        QTest::newRow("bad item") << QStringList{ "optimizer.learning_rate=1e-3", "optimizer.loraplus_ratio=1,4,x" }
                                  << "--set optimizer.loraplus_ratio: item 3 'x' is not valid";
        QTest::newRow("empty item") << QStringList{ "optimizer.loraplus_ratio=1,,4" }
                                    << "--set optimizer.loraplus_ratio: item 2 of 3 is empty";
        QTest::newRow("no key") << QStringList{ "loraplus_ratio=1,4" } << "--set 'loraplus_ratio=1,4': expected SECTION.KEY";
        QTest::newRow("unknown key") << QStringList{ "optimizer.ratio=1,4" } << "--set optimizer.ratio: item 1 '1'";
        QTest::newRow("no --set") << QStringList{} << "a sweep needs at least one --set";
    }

    void aBadGridIsNamedBeforeAnyRun()
    {
        QFETCH(QStringList, sets);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        trainfixture::write(dir.path());
        QStringList arguments{ "sweep", writeConfig(dir) };
        for (const QString &set : sets)
            arguments << "--set" << set;
        const Run run = cli(arguments);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.startsWith(QStringLiteral("lorafit-cli: error: ") + expected), qPrintable(run.err));
        QVERIFY(!QDir(dir.filePath(QStringLiteral("runs"))).exists());
    }
};

QTEST_GUILESS_MAIN(TestSweepCli)
#include "test_sweepcli.moc"

// `lorafit-cli train` as a user runs it: 20 steps of a tiny model from a JSONL
// file with a settings document, JSON-lines metrics, a checkpoint, resuming
// with --resume last, the same run recorded in a project file, and a clear
// error for a bad settings file.
#include "engine/project/projectstore.h"
#include "tests/engine/train/trainfixture.h"
#include "tests/processrun.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

using Run = test::ProcessRun;

Run cli(const QStringList &arguments)
{
    return test::runProcess(QStringLiteral(LF_CLI_EXE), arguments);
}

QString writeConfig(const QTemporaryDir &dir, std::int64_t steps)
{
    engine::RunSettings settings = trainfixture::settings(dir.path(), steps, 0.2);
    settings.training.evalEvery = 10;
    settings.training.checkpointEvery = 10;
    settings.training.probeEvery = 5;
    // Relative paths, as a user writes them: resolved against the file's folder.
    settings.modelPath = "model";
    settings.dataset.trainPath = "train.jsonl";
    return trainfixture::writeDocument(dir.path(), settings);
}

QList<QJsonObject> readLines(const QString &path, const QString &event)
{
    QList<QJsonObject> objects;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return objects;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QJsonObject object = QJsonDocument::fromJson(line).object();
        if (object.value(QStringLiteral("event")).toString() == event)
            objects.append(object);
    }
    return objects;
}

} // namespace

class TestTrainCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void trainsFromSettingsFile()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama", 32);
        const QString config = writeConfig(dir, 20);
        const QString metrics = dir.filePath(QStringLiteral("metrics.jsonl"));
        const Run run = cli({ "train", config, "--out", dir.filePath("run"), "--metrics", metrics });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err + run.out));
        QVERIFY2(run.err.contains(QStringLiteral("step 20/20")), qPrintable(run.err));
        QVERIFY(run.out.contains(QStringLiteral("completed")));

        const QList<QJsonObject> steps = readLines(metrics, QStringLiteral("step"));
        QCOMPARE(steps.size(), 21); // the evaluation before training, then 20 steps
        QCOMPARE(steps.first().value("step").toInt(), 0);
        QVERIFY(steps.first().contains("eval_loss") && !steps.first().contains("loss"));
        const double first = steps[1].value("loss").toDouble(), last = steps.last().value("loss").toDouble();
        qInfo("loss %.4f -> %.4f", first, last);
        QVERIFY(last < first);
        QVERIFY(steps[5].value("delta1").isArray());
        QCOMPARE(readLines(metrics, QStringLiteral("plan")).first().value("matrices").toArray().size(), 2 * 7);
        QVERIFY(QDir(dir.filePath("run/checkpoint-20")).exists());
        QVERIFY(QFile::exists(dir.filePath("run/checkpoint-20/adapter_model.safetensors")));

        // Continue the finished run to 30 steps from its newest checkpoint.
        const Run more = cli({ "train", config, "--out", dir.filePath("run"), "--resume", "last", "--max-steps", "30",
            "--metrics", metrics, "-q" });
        QVERIFY2(more.exitCode == 0, qPrintable(more.err + more.out));
        const QList<QJsonObject> resumed = readLines(metrics, QStringLiteral("step"));
        QCOMPARE(resumed.first().value("step").toInt(), 21);
        QCOMPARE(resumed.last().value("step").toInt(), 30);
    }

    void recordsTheRunInAProject()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "gpt2", 16);
        const QString config = writeConfig(dir, 10);
        const QString project = dir.filePath(QStringLiteral("demo.lorafit"));
        QCOMPARE(cli({ "project", "import-settings", project, config }).exitCode, 0);
        const Run run = cli({ "train", project, "--name", "first", "-q" });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err + run.out));

        auto store = engine::ProjectStore::open(project.toStdString(), engine::OpenMode::ReadOnly);
        QVERIFY2(store.isOk(), store.message().c_str());
        const auto runs = store->runs();
        QVERIFY(runs.isOk() && runs->size() == 1);
        const engine::RunInfo &info = runs->front();
        QCOMPARE(info.name, std::string("first"));
        QCOMPARE(info.status, engine::RunStatus::Finished);
        QCOMPARE(info.lastStep.value_or(-1), std::int64_t(10));
        QCOMPARE(info.matrixCount, 2 * 4);
        const auto loss = store->scalarSeries(info.id, "loss");
        QVERIFY(loss.isOk());
        QCOMPARE(int(loss->steps.size()), 10); // steps 1..10; step 0 has only the eval loss
        const auto deltaB = store->matrixSeries(info.id, "dB_norm");
        QVERIFY(deltaB.isOk() && deltaB->steps.size() == 10);
        const auto checkpoint = store->lastCheckpoint(info.id);
        QVERIFY(checkpoint.isOk() && checkpoint.value() && checkpoint.value()->step == 10);
        QVERIFY(QString::fromStdString(checkpoint.value()->path).contains(QStringLiteral("demo.runs/run-")));
    }

    void badSettingsNameTheField()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path());
        const QString config = writeConfig(dir, 5);
        QFile file(config);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QByteArray text = file.readAll();
        file.close();
        text.replace("\"rank\": 4", "\"rank\": -3");
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(text);
        file.close();
        const Run run = cli({ "train", config });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("rank")), qPrintable(run.err));
        QVERIFY(!QDir(dir.filePath("runs")).exists());
    }
};

QTEST_GUILESS_MAIN(TestTrainCli)
#include "test_traincli.moc"

// Data-parallel training through `lorafit-cli train` on c10d Gloo: two
// processes compute the run one process computes (every step's loss and eval
// loss, the final adapter, dropout on, an uneven split of the batch); a run
// resumes with another number of ranks; a killed rank ends the run quickly,
// named, with the project's run interrupted and resumable; and a bad
// rendezvous (port taken, no rank 0, WORLD_SIZE or settings that disagree,
// a rank missing) is a clear error, never a hang.
#include "engine/io/safetensorstorch.h"
#include "engine/project/projectstore.h"
#include "tests/engine/train/trainfixture.h"
#include "tests/processrun.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <cmath>
#include <csignal>

namespace {

using Run = test::ProcessRun;
constexpr double kTolerance = 1e-5; // relative, as the issue asks; float sums in another order differ by ~1e-7

Run cli(const QStringList &arguments, const QProcessEnvironment &env = {}, int timeoutMs = 240000)
{
    return test::runProcess(QStringLiteral(LF_CLI_EXE), arguments, timeoutMs, env);
}

// A run that every piece of the step exercises: dropout, validation, LoRA+,
// two micro-batches of 3 rows (split 1 + 2 between two ranks), δ probes on rank 0.
QString writeConfig(const QTemporaryDir &dir, const std::string &model, std::int64_t steps)
{
    trainfixture::write(dir.path(), model, 40);
    engine::RunSettings settings = trainfixture::settings(dir.path(), steps, 0.2);
    settings.lora.dropout = 0.1;
    settings.training.batchSize = 3;
    settings.training.gradientAccumulation = 2;
    settings.training.evalEvery = 2;
    settings.training.checkpointEvery = 6;
    settings.training.probeEvery = 5;
    settings.training.threads = 1;
    return trainfixture::writeDocument(dir.path(), settings);
}

// LF_KEEP_TEST_DIRS=1 keeps each test's folder for a look afterwards.
void keep(QTemporaryDir &dir)
{
    if (qEnvironmentVariableIsSet("LF_KEEP_TEST_DIRS")) {
        dir.setAutoRemove(false);
        qInfo("kept %s", qPrintable(dir.path()));
    }
}

// step -> the JSON object of that step in a metrics file.
QMap<int, QJsonObject> readSteps(const QString &path)
{
    QMap<int, QJsonObject> steps;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return steps;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QJsonObject object = QJsonDocument::fromJson(line).object();
        if (object.value(QStringLiteral("event")).toString() == QLatin1String("step"))
            steps.insert(object.value(QStringLiteral("step")).toInt(), object);
    }
    return steps;
}

int lastStep(const QString &path)
{
    const QMap<int, QJsonObject> steps = readSteps(path);
    return steps.isEmpty() ? -1 : steps.lastKey();
}

bool close(double a, double b, double tolerance = kTolerance)
{
    return std::abs(a - b) <= tolerance * std::max(1.0, std::abs(a));
}

// Every step of `expected` from `first` on is in `actual` with the same loss and eval loss.
void compareSteps(const QMap<int, QJsonObject> &expected, const QMap<int, QJsonObject> &actual, int first, int last,
    double tolerance = kTolerance)
{
    for (int step = first; step <= last; ++step) {
        QVERIFY2(expected.contains(step) && actual.contains(step), qPrintable(QStringLiteral("step %1").arg(step)));
        for (const char *key : { "loss", "eval_loss", "grad_norm", "loraplus_ratio" }) {
            const QJsonValue a = expected[step].value(QLatin1String(key)), b = actual[step].value(QLatin1String(key));
            QCOMPARE(a.isUndefined(), b.isUndefined());
            if (a.isUndefined())
                continue;
            QVERIFY2(close(a.toDouble(), b.toDouble(), tolerance),
                qPrintable(QStringLiteral("step %1 %2: %3 vs %4").arg(step).arg(key).arg(a.toDouble(), 0, 'g', 10)
                               .arg(b.toDouble(), 0, 'g', 10)));
        }
    }
}

void compareAdapters(const QString &a, const QString &b, double tolerance = kTolerance)
{
    const auto left = engine::loadSafetensors(QDir(a).filePath("adapter_model.safetensors").toStdString());
    const auto right = engine::loadSafetensors(QDir(b).filePath("adapter_model.safetensors").toStdString());
    QCOMPARE(left.size(), right.size());
    for (const auto &[name, tensor] : left) {
        QVERIFY2(right.count(name), name.c_str());
        // Adam divides by √v: where a gradient is near zero, its last-bit differences (the ranks' sums
        // run in another order) move a weight by ~1e-6, so weights compare like the losses: 1e-5 of max(1, |w|).
        const double scale = std::max(1.0, tensor.abs().max().item<double>());
        const double difference = (tensor - right.at(name)).abs().max().item<double>();
        QVERIFY2(difference <= tolerance * scale,
            qPrintable(QStringLiteral("%1 differs by %2").arg(QString::fromStdString(name)).arg(difference)));
    }
}

QProcessEnvironment rankEnvironment(int rank, int world, int port)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("RANK", QString::number(rank));
    env.insert("WORLD_SIZE", QString::number(world));
    env.insert("MASTER_ADDR", "127.0.0.1");
    env.insert("MASTER_PORT", QString::number(port));
    return env;
}

// A port nothing listens on, different for each call within a test run.
int unusedPort()
{
    static int next = 20000 + static_cast<int>(QCoreApplication::applicationPid() % 20000);
    return next++;
}

} // namespace

class TestDistributed : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Also with an automatic λ, probing every step: rank 0 measures the
    // δ-terms and moves λ, and every rank steps with rank 0's λ.
    void twoRanksComputeTheOneProcessRun_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QStringList>("settings");
        QTest::newRow("gpt2") << "gpt2" << QStringList();
        QTest::newRow("llama") << "llama" << QStringList();
        QTest::newRow("llama, automatic λ") << "llama"
                                           << QStringList{ "--set", "optimizer.loraplus_ratio=auto", "--set",
                                                  "training.probe_every=1" };
    }

    void twoRanksComputeTheOneProcessRun()
    {
        QFETCH(QString, model);
        QFETCH(QStringList, settings);
        QTemporaryDir dir;
        keep(dir);
        const QString config = writeConfig(dir, model.toStdString(), 10);
        const Run one = cli(QStringList{ "train", config, "--out", dir.filePath("one"), "--metrics",
            dir.filePath("one.jsonl"), "-q" } + settings);
        QVERIFY2(one.exitCode == 0, qPrintable(one.err));
        const Run two = cli(QStringList{ "train", config, "--out", dir.filePath("two"), "--metrics",
            dir.filePath("two.jsonl"), "--nproc", "2", "-q" } + settings);
        QVERIFY2(two.exitCode == 0, qPrintable(two.err));
        const auto expected = readSteps(dir.filePath("one.jsonl")), actual = readSteps(dir.filePath("two.jsonl"));
        // An automatic λ is a continuous function of the summed gradients, so the sums' last-bit
        // differences pass into λ and through it into every B: the steps agree to 1e-4.
        compareSteps(expected, actual, 0, 10, settings.isEmpty() ? kTolerance : 1e-4);
        if (!settings.isEmpty()) // λ did move from its start
            QVERIFY(expected[10].value("loraplus_ratio").toDouble() != 4.0); // the fixture's start value
        QCOMPARE(actual[10].value("ranks").toInt(), 2);
        QVERIFY(actual[10].value("allreduce_s").toDouble() > 0.0);
        QVERIFY(actual[5].value("delta1").isArray()); // rank 0 probes
        compareAdapters(dir.filePath("one/checkpoint-10"), dir.filePath("two/checkpoint-10"),
            settings.isEmpty() ? kTolerance : 1e-4);
        QVERIFY(QFile::exists(dir.filePath("two/rank-1.log")));
        if (!settings.isEmpty())
            return;
        // The one-process run really depends on dropout: without it the losses differ.
        const Run noDropout = cli({ "train", config, "--out", dir.filePath("plain"), "--metrics",
            dir.filePath("plain.jsonl"), "--set", "lora.dropout=0", "-q", "--max-steps", "2" });
        QVERIFY2(noDropout.exitCode == 0, qPrintable(noDropout.err));
        QVERIFY(!close(readSteps(dir.filePath("plain.jsonl"))[2].value("loss").toDouble(), expected[2].value("loss").toDouble()));
    }

    void resumesWithAnotherNumberOfRanks_data()
    {
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("after");
        QTest::newRow("2 -> 1") << "2" << "1";
        QTest::newRow("1 -> 2") << "1" << "2";
    }

    void resumesWithAnotherNumberOfRanks()
    {
        QFETCH(QString, before);
        QFETCH(QString, after);
        QTemporaryDir dir;
        const QString config = writeConfig(dir, "llama", 12);
        QCOMPARE(cli({ "train", config, "--out", dir.filePath("whole"), "--metrics", dir.filePath("whole.jsonl"), "-q" })
                     .exitCode,
            0);
        const QString run = dir.filePath("split");
        const Run first = cli({ "train", config, "--out", run, "--max-steps", "6", "--nproc", before, "-q" });
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        const Run second = cli({ "train", config, "--out", run, "--resume", "last", "--nproc", after, "--metrics",
            dir.filePath("split.jsonl"), "-q" });
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        compareSteps(readSteps(dir.filePath("whole.jsonl")), readSteps(dir.filePath("split.jsonl")), 7, 12);
        compareAdapters(dir.filePath("whole/checkpoint-12"), run + "/checkpoint-12");
    }

    void aKilledRankInterruptsTheRun()
    {
#ifndef __linux__
        QSKIP("finds the rank's process through /proc");
#else
        QTemporaryDir dir;
        const QString config = writeConfig(dir, "gpt2", 400);
        const QString project = dir.filePath("killed.lorafit");
        QCOMPARE(cli({ "project", "import-settings", project, config }).exitCode, 0);
        const QString metrics = dir.filePath("m.jsonl");
        QProcess leader;
        leader.start(QStringLiteral(LF_CLI_EXE), { "train", project, "--nproc", "2", "--metrics", metrics, "-q" });
        QVERIFY(leader.waitForStarted());
        QElapsedTimer timer;
        timer.start();
        while (lastStep(metrics) < 7 && timer.elapsed() < 120000)
            QThread::msleep(100);
        QVERIFY2(lastStep(metrics) >= 7, qPrintable("the run did not reach step 7 in two minutes: "
                                                    + QString::fromUtf8(leader.readAllStandardError())));
        QFile children(QStringLiteral("/proc/%1/task/%1/children").arg(leader.processId()));
        QVERIFY(children.open(QIODevice::ReadOnly));
        const QList<QByteArray> pids = children.readAll().trimmed().split(' ');
        QCOMPARE(pids.size(), 1);
        QVERIFY(::kill(pids.first().toInt(), SIGKILL) == 0);
        timer.restart();
        QVERIFY(leader.waitForFinished(30000));
        qInfo("rank 0 ended %.1f s after rank 1 was killed", timer.elapsed() / 1000.0);
        QVERIFY(leader.exitCode() != 0);
        const QString err = QString::fromUtf8(leader.readAllStandardError());
        QVERIFY2(err.contains(QStringLiteral("rank 1 was killed")), qPrintable(err));

        auto store = engine::ProjectStore::open(project.toStdString(), engine::OpenMode::ReadOnly);
        QVERIFY2(store.isOk(), store.message().c_str());
        const engine::RunInfo info = store->runs().value().front();
        QCOMPARE(info.status, engine::RunStatus::Interrupted);
        const auto loss = store->scalarSeries(info.id, "loss");
        QVERIFY(loss.isOk() && loss->steps.size() >= 7);
        const auto checkpoint = store->lastCheckpoint(info.id);
        QVERIFY(checkpoint.isOk() && checkpoint.value() && checkpoint.value()->step >= 6);
        store = engine::Status::failure("closed");
        const std::int64_t resumeFrom = checkpoint.value()->step;
        const Run resumed = cli({ "train", project, "--resume", QString::number(info.id), "--max-steps",
            QString::number(resumeFrom + 2), "-q" });
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
#endif
    }

    void aBadRendezvousIsAClearError()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir, "gpt2", 4);
        const QStringList train{ "train", config, "--out", dir.filePath("run"), "-q", "--dist-timeout", "3" };
        QElapsedTimer timer;

        // Nobody is rank 0.
        timer.start();
        Run run = cli(train, rankEnvironment(1, 2, unusedPort()), 60000);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("cannot reach rank 0")), qPrintable(run.err));
        QVERIFY(timer.elapsed() < 30000);

        // Rank 0 alone: a rank is missing.
        timer.restart();
        run = cli(train, rankEnvironment(0, 2, unusedPort()), 60000);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("only 1 of 2 ranks")) && run.err.contains(QStringLiteral("missing rank(s) 1")),
            qPrintable(run.err));
        QVERIFY(timer.elapsed() < 30000);

        // Two processes disagree: on WORLD_SIZE, on the settings, on who is rank 0 (the port is taken).
        struct Pair
        {
            QStringList secondExtra;
            int secondRank, secondWorld;
            QString expected;
        };
        const Pair pairs[] = {
            { {}, 1, 3, QStringLiteral("WORLD_SIZE") },
            { { "--set", "lora.rank=8" }, 1, 2, QStringLiteral("other settings") },
            { {}, 0, 2, QStringLiteral("cannot listen") },
        };
        for (const Pair &pair : pairs) {
            const int port = unusedPort();
            QProcess first;
            first.setProcessEnvironment(rankEnvironment(0, 2, port));
            first.start(QStringLiteral(LF_CLI_EXE), QStringList(train) << "--dist-timeout" << "20");
            QVERIFY(first.waitForStarted());
            QThread::msleep(1500); // rank 0 listens
            run = cli(QStringList(train) << pair.secondExtra, rankEnvironment(pair.secondRank, pair.secondWorld, port), 60000);
            QCOMPARE(run.exitCode, 1);
            QVERIFY2(run.err.contains(pair.expected), qPrintable(pair.expected + ": " + run.err));
            QVERIFY(first.waitForFinished(60000));
            QVERIFY(first.exitCode() != 0);
        }
    }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "test_distributed.moc"

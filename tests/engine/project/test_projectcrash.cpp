// Crash safety: a child process (this test binary, re-executed with
// LF_PROJECT_WRITER set) records a run in batches and is killed with SIGKILL
// while writing. While it lives, a second open is a read-only view naming its
// pid; after the kill the project opens, takes the lock over, shows the run as
// interrupted with every step of the committed batches, and its last checkpoint.
#include "engine/project/projectstore.h"
#include "projecttesthelpers.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QProcess>
#include <QTemporaryDir>

#include <cstdio>
#include <cstdlib>

using engine::ProjectStore;
using engine::RunStatus;

namespace {

constexpr const char *kWriterVariable = "LF_PROJECT_WRITER";
constexpr int kMatrices = 16;
constexpr int kBatchSteps = 4;
constexpr int kCheckpointEvery = 20;

double lossAt(std::int64_t step)
{
    return 10.0 / (1.0 + static_cast<double>(step));
}

engine::StepRecord recordAt(std::int64_t step)
{
    engine::StepRecord record { step, { { "loss", lossAt(step) }, { "grad_norm", 1.0 } }, {} };
    for (const char *kind : { "dA_norm", "dB_norm", "A_norm", "B_norm" })
        record.matrices[kind] = std::vector<float>(kMatrices, static_cast<float>(step));
    return record;
}

// The child: records steps until killed (or 60 s pass), reporting each commit.
int runWriter(const std::string &path)
{
    auto store = ProjectStore::open(path);
    if (!store || store->isReadOnly())
        return 3;
    engine::RunSpec spec;
    spec.name = "killed";
    for (int i = 0; i < kMatrices; ++i)
        spec.matrixNames.push_back("model.layers." + std::to_string(i) + ".self_attn.q_proj");
    const std::int64_t runId = store->createRun(spec).value();
    const QDeadlineTimer deadline(60000);
    for (std::int64_t step = 0; !deadline.hasExpired(); step += kBatchSteps) {
        std::vector<engine::StepRecord> batch;
        for (std::int64_t s = step; s < step + kBatchSteps; ++s)
            batch.push_back(recordAt(s));
        if (!store->appendMetrics(runId, batch).isOk())
            return 4;
        std::printf("committed %lld\n", static_cast<long long>(step + kBatchSteps - 1));
        const std::int64_t checkpointStep = (step / kCheckpointEvery) * kCheckpointEvery;
        if (step % kCheckpointEvery == 0) {
            if (!store->addCheckpoint(runId, { checkpointStep, "ckpt/" + std::to_string(checkpointStep), 1, "h", 0 }))
                return 5;
            std::printf("checkpoint %lld\n", static_cast<long long>(checkpointStep));
        }
        std::fflush(stdout);
    }
    return 0;
}

} // namespace

class TestProjectCrash : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killedWriterLeavesAnInterruptedRun()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("p.lorafit"));
        QVERIFY(ProjectStore::create(path.toStdString()).isOk());

        QProcess child;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QString::fromLatin1(kWriterVariable), path);
        child.setProcessEnvironment(environment);
        child.start(QCoreApplication::applicationFilePath(), {});
        QVERIFY(child.waitForStarted());

        std::int64_t lastCommitted = -1;
        std::int64_t lastCheckpoint = -1;
        const QDeadlineTimer deadline(30000);
        while (lastCommitted < 200 && !deadline.hasExpired() && child.state() == QProcess::Running) {
            child.waitForReadyRead(1000);
            while (child.canReadLine()) {
                const QList<QByteArray> words = child.readLine().trimmed().split(' ');
                if (words.value(0) == "committed")
                    lastCommitted = words.value(1).toLongLong();
                else if (words.value(0) == "checkpoint")
                    lastCheckpoint = words.value(1).toLongLong();
            }
        }
        QVERIFY2(lastCommitted >= 200, qPrintable(QString::fromUtf8(child.readAllStandardError())));

        { // While the writer lives: a read-only view that says who holds the project.
            auto view = ProjectStore::open(path.toStdString());
            LF_VERIFY_OK(view);
            QVERIFY(view->isReadOnly());
            QVERIFY2(QString::fromStdString(view->readOnlyReason())
                         .startsWith(QStringLiteral("open elsewhere (by process %1 ").arg(child.processId())),
                view->readOnlyReason().c_str());
            QCOMPARE(view->runs().value().at(0).status, RunStatus::Running);
        }

        child.kill(); // SIGKILL, most likely in the middle of a batch
        QVERIFY(child.waitForFinished(10000));
        while (child.canReadLine()) { // commits reported before the kill
            const QList<QByteArray> words = child.readLine().trimmed().split(' ');
            if (words.value(0) == "committed")
                lastCommitted = words.value(1).toLongLong();
            else if (words.value(0) == "checkpoint")
                lastCheckpoint = words.value(1).toLongLong();
        }

        auto store = ProjectStore::open(path.toStdString());
        LF_VERIFY_OK(store);
        QVERIFY2(!store->isReadOnly(), store->readOnlyReason().c_str()); // the dead process's lock is taken over
        const auto runs = store->runs().value();
        QCOMPARE(runs.size(), std::size_t(1));
        const engine::RunInfo &run = runs[0];
        QCOMPARE(store->interruptedOnOpen(), std::vector<std::int64_t> { run.id });
        QCOMPARE(run.status, RunStatus::Interrupted);
        QVERIFY(run.endedAtMs.has_value());

        // Every committed step is there, whole batches only, with the right values.
        const auto loss = store->scalarSeries(run.id, "loss").value();
        QVERIFY(static_cast<std::int64_t>(loss.steps.size()) >= lastCommitted + 1);
        QCOMPARE(loss.steps.size() % kBatchSteps, std::size_t(0));
        for (std::size_t i = 0; i < loss.steps.size(); ++i) {
            QCOMPARE(loss.steps[i], std::int64_t(i));
            QCOMPARE(loss.values[i], lossAt(std::int64_t(i)));
        }
        QCOMPARE(run.lastStep, std::optional<std::int64_t>(loss.steps.back()));
        const auto norms = store->matrixSeries(run.id, "dB_norm", kMatrices - 1).value();
        QCOMPARE(norms.steps, loss.steps);
        QCOMPARE(norms.values.back(), static_cast<float>(loss.steps.back()));

        // The app offers to resume from here.
        const auto checkpoint = store->lastCheckpoint(run.id).value();
        QVERIFY(checkpoint.has_value());
        QVERIFY(checkpoint->step >= lastCheckpoint && checkpoint->step <= loss.steps.back());
        QCOMPARE(
            QString::fromStdString(checkpoint->path), dir.filePath(QStringLiteral("ckpt/%1").arg(checkpoint->step)));

        // Resuming continues the same run: steps after the checkpoint are replaced.
        LF_VERIFY_OK(store->resumeRun(run.id));
        QCOMPARE(store->run(run.id).value().status, RunStatus::Running);
        engine::StepRecord redone = recordAt(checkpoint->step + 1);
        redone.scalars["loss"] = -1.0;
        LF_VERIFY_OK(store->appendMetrics(run.id, { redone }));
        const auto resumed = store->scalarSeries(run.id, "loss").value();
        QCOMPARE(resumed.steps.size(), loss.steps.size());
        QCOMPARE(resumed.values[std::size_t(checkpoint->step + 1)], -1.0);
        LF_VERIFY_FAILS_WITH(store->resumeRun(run.id), "is running and cannot be resumed");
    }
};

int main(int argc, char *argv[])
{
    if (const char *path = std::getenv(kWriterVariable))
        return runWriter(path);
    QCoreApplication application(argc, argv);
    TestProjectCrash test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_projectcrash.moc"

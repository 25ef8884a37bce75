// The same training loop on CUDA (bf16 autocast): a few steps must learn and
// the CUDA losses must track the CPU run's within bf16 tolerance, also with an
// NF4 base (dequantised with tensor operations there); the benchmark's CUDA
// mode runs. Skips on machines without a CUDA device (label gpu).
#include "engine/bench/trainbench.h"
#include "engine/train/metricsqueue.h"
#include "engine/train/trainer.h"
#include "tests/engine/train/trainfixture.h"

#include <QTemporaryDir>
#include <QTest>

namespace {

std::vector<double> losses(const engine::RunSettings &settings, const QString &out)
{
    engine::MetricsQueue queue;
    engine::TrainingControl control;
    engine::TrainerCallbacks callbacks;
    callbacks.metrics = &queue;
    const auto result = engine::Trainer::run(settings, { out.toStdString(), {}, {}, {} }, callbacks, control);
    if (!result)
        throw std::runtime_error(result.message());
    std::vector<double> values;
    for (const engine::StepMetrics &m : queue.drain())
        if (m.step > 0)
            values.push_back(m.loss);
    return values;
}

} // namespace

class TestTrainerGpu : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cudaTracksCpu_data()
    {
        QTest::addColumn<QString>("baseWeights");
        QTest::newRow("f32") << QStringLiteral("f32");
        QTest::newRow("nf4") << QStringLiteral("nf4");
    }

    void cudaTracksCpu()
    {
        QFETCH(QString, baseWeights);
        if (!torch::cuda::is_available())
            QSKIP("no CUDA device");
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama", 8);
        engine::RunSettings settings = trainfixture::settings(dir.path(), 10);
        settings.dataset.shuffle = false;
        settings.training.baseWeights = baseWeights.toStdString();
        const std::vector<double> cpu = losses(settings, dir.filePath("cpu"));
        settings.training.device = "cuda";
        const std::vector<double> cuda = losses(settings, dir.filePath("cuda"));
        QCOMPARE(cuda.size(), cpu.size());
        for (std::size_t i = 0; i < cpu.size(); ++i)
            QVERIFY2(std::abs(cuda[i] - cpu[i]) <= 0.05 * std::abs(cpu[i]), // bf16 autocast: 5 % relative
                qPrintable(QStringLiteral("step %1: cuda %2, cpu %3").arg(i + 1).arg(cuda[i]).arg(cpu[i])));
        QVERIFY(cuda.back() < cuda.front());
    }

    void benchRunsOnCuda()
    {
        if (!torch::cuda::is_available())
            QSKIP("no CUDA device");
        engine::BenchOptions options;
        options.device = "cuda";
        options.steps = 3;
        options.warmupSteps = 1;
        const auto result = engine::runTrainBench(options);
        QVERIFY2(result.isOk(), result.message().c_str());
        QCOMPARE(result->device, std::string("cuda:0"));
        QVERIFY(result->tokensPerSecond > 0.0 && result->sgemmGflops > 0.0);
        QVERIFY(std::isfinite(result->lastLoss));
    }
};

QTEST_GUILESS_MAIN(TestTrainerGpu)
#include "test_trainer_gpu.moc"

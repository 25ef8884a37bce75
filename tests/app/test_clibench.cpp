// `lorafit-cli bench --shape tiny --steps 3 --json`: the JSON fields are present
// and consistent, and the parameter and FLOP counts equal ones worked out by
// hand here for the tiny shape (Llama, vocab 2048, width 128, MLP 352, 2
// layers, 4 heads of 32, 2 key/value heads, LoRA r = 16 on all 7 projections).
#include "tests/processrun.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <cmath>

namespace {

using Run = test::ProcessRun;

Run runCli(const QStringList &arguments)
{
    return test::runProcess(QStringLiteral(LF_CLI_EXE), arguments);
}

// Hand count for the tiny shape (see the header comment).
constexpr double kVocab = 2048, kWidth = 128, kMlp = 352, kLayers = 2, kKv = 64, kRank = 16;
constexpr double kLayerProjections = kWidth * kWidth * 2 + kWidth * kKv * 2 + 3 * kWidth * kMlp;
constexpr double kProjectionWeights = kLayers * kLayerProjections + kVocab * kWidth; // lm_head included
constexpr double kLayerLora = kRank * ((kWidth + kWidth) * 2 + (kWidth + kKv) * 2 + 3 * (kWidth + kMlp));
constexpr double kLoraParameters = kLayers * kLayerLora;
constexpr double kBaseParameters = kLayers * (kLayerProjections + 2 * kWidth) + 2 * kVocab * kWidth + kWidth;

} // namespace

class TestCliBench : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tinyJsonHasConsistentFields()
    {
        const Run run = runCli({ QStringLiteral("bench"), QStringLiteral("--shape"), QStringLiteral("tiny"),
            QStringLiteral("--steps"), QStringLiteral("3"), QStringLiteral("--json") });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(run.bytes.trimmed(), &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(run.out));

        QCOMPARE(o.value(QStringLiteral("shape")).toString(), QStringLiteral("tiny"));
        QCOMPARE(o.value(QStringLiteral("steps")).toInt(), 3);
        QCOMPARE(o.value(QStringLiteral("threads")).toInt(), 2); // LORAFIT_THREADS=2 in tests
        QCOMPARE(o.value(QStringLiteral("batch_size")).toInt(), 4);
        QCOMPARE(o.value(QStringLiteral("sequence_length")).toInt(), 256);
        QCOMPARE(o.value(QStringLiteral("metrics")).toBool(), true);
        QCOMPARE(o.value(QStringLiteral("lora_parameters")).toDouble(), kLoraParameters);
        QCOMPARE(o.value(QStringLiteral("base_parameters")).toDouble(), kBaseParameters);

        const double tokens = 4.0 * 256.0;
        const double flops = 4 * kProjectionWeights * tokens + 6 * kLoraParameters * tokens
            + 12 * kLayers * 256 * kWidth * tokens;
        QVERIFY(qAbs(o.value(QStringLiteral("model_gflop_per_step")).toDouble() - flops / 1e9) < 1e-9);

        const double ms = o.value(QStringLiteral("ms_per_step")).toDouble();
        QVERIFY(ms > 0.0);
        QVERIFY(o.value(QStringLiteral("ms_per_step_mean")).toDouble() > 0.0);
        // The metric work is timed inside the step, so it is a part of it.
        const double share = o.value(QStringLiteral("metrics_share")).toDouble(-1.0);
        QVERIFY2(share > 0.0 && share < 1.0, qPrintable(QString::number(share)));
        const double tps = o.value(QStringLiteral("tokens_per_second")).toDouble();
        QVERIFY(qAbs(tps - tokens / (ms / 1000.0)) <= 1e-6 * tps);
        const double achieved = o.value(QStringLiteral("achieved_gflops")).toDouble();
        QVERIFY(qAbs(achieved - flops / 1e9 / (ms / 1000.0)) <= 1e-6 * achieved);
        const double sgemm = o.value(QStringLiteral("sgemm_gflops")).toDouble();
        QVERIFY(sgemm > 0.0);
        QVERIFY(o.value(QStringLiteral("sgemm_gflops_best")).toDouble() >= sgemm); // best of the samples, median used
        QVERIFY(qAbs(o.value(QStringLiteral("mfu")).toDouble() - achieved / sgemm) <= 1e-9);

        const double rss = o.value(QStringLiteral("peak_rss_bytes")).toDouble();
        QVERIFY(rss > 1e6 && rss < 8e9);
        QVERIFY(o.value(QStringLiteral("system_seconds")).toDouble() >= 0.0);
        // Random ids over 2048 tokens with near-zero logits start at about ln 2048 = 7.62.
        const double firstLoss = o.value(QStringLiteral("first_loss")).toDouble();
        QVERIFY2(qAbs(firstLoss - std::log(2048.0)) < 0.1, qPrintable(QString::number(firstLoss)));
    }

    void unknownShapeFailsWithHint()
    {
        const Run run = runCli({ QStringLiteral("bench"), QStringLiteral("--shape"), QStringLiteral("gpt5") });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("unknown benchmark shape 'gpt5'")), qPrintable(run.err));
        QVERIFY2(run.err.contains(QStringLiteral("tiny, gpt2-124m, llama-160m")), qPrintable(run.err));
    }

    void nf4BaseStoresAnEighthOfTheWeights()
    {
        const Run run = runCli({ QStringLiteral("bench"), QStringLiteral("--shape"), QStringLiteral("tiny"),
            QStringLiteral("--steps"), QStringLiteral("1"), QStringLiteral("--warmup"), QStringLiteral("0"),
            QStringLiteral("--nf4"), QStringLiteral("--json") });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject o = QJsonDocument::fromJson(run.bytes.trimmed()).object();
        QCOMPARE(o.value(QStringLiteral("base_weights")).toString(), QStringLiteral("nf4"));
        // Projections at 4.127 bits instead of 32; everything else (embeddings, norms) stays f32.
        const double quantised = kLayers * kLayerProjections; // lm_head stays f32, as in QLoRA
        const double expected = (kBaseParameters - quantised) * 4.0 + quantised * 4.127 / 8.0;
        const double bytes = o.value(QStringLiteral("base_weight_bytes")).toDouble();
        QVERIFY2(qAbs(bytes - expected) < 0.01 * expected, qPrintable(QString::number(bytes)));
        QVERIFY(std::isfinite(o.value(QStringLiteral("last_loss")).toDouble()));
    }

    // --batch/--length set the step's size; bf16 halves the projections'
    // bytes; on the CPU there is no GPU peak; an unknown kind fails with the hint.
    void sizeAndBf16BaseOptions()
    {
        const Run run = runCli({ QStringLiteral("bench"), QStringLiteral("--shape"), QStringLiteral("tiny"),
            QStringLiteral("--steps"), QStringLiteral("1"), QStringLiteral("--warmup"), QStringLiteral("0"),
            QStringLiteral("--batch"), QStringLiteral("2"), QStringLiteral("--length"), QStringLiteral("32"),
            QStringLiteral("--base-weights"), QStringLiteral("bf16"), QStringLiteral("--json") });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject o = QJsonDocument::fromJson(run.bytes.trimmed()).object();
        QCOMPARE(o.value(QStringLiteral("batch_size")).toInt(), 2);
        QCOMPARE(o.value(QStringLiteral("sequence_length")).toInt(), 32);
        QCOMPARE(o.value(QStringLiteral("base_weights")).toString(), QStringLiteral("bf16"));
        const double halved = kLayers * kLayerProjections;
        const double expected = (kBaseParameters - halved) * 4.0 + halved * 2.0;
        QCOMPARE(o.value(QStringLiteral("base_weight_bytes")).toDouble(), expected);
        QCOMPARE(o.value(QStringLiteral("peak_gpu_bytes")).toDouble(), 0.0);
        QVERIFY(std::isfinite(o.value(QStringLiteral("last_loss")).toDouble()));
        const Run defaults = runCli({ QStringLiteral("bench"), QStringLiteral("--steps"), QStringLiteral("1"),
            QStringLiteral("--warmup"), QStringLiteral("0"), QStringLiteral("--length"), QStringLiteral("16"),
            QStringLiteral("--json") });
        QVERIFY2(defaults.exitCode == 0, qPrintable(defaults.err));
        QCOMPARE(QJsonDocument::fromJson(defaults.bytes.trimmed()).object().value(QStringLiteral("base_weights")).toString(),
            QStringLiteral("f32")); // "auto" on the CPU
        const Run bad = runCli({ QStringLiteral("bench"), QStringLiteral("--base-weights"), QStringLiteral("int8") });
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains(QStringLiteral("training.base_weights: unknown 'int8'")), qPrintable(bad.err));
    }

    void deviceWithoutCudaFailsWithHint()
    {
        const Run run = runCli({ QStringLiteral("bench"), QStringLiteral("--device"), QStringLiteral("cuda"),
            QStringLiteral("--steps"), QStringLiteral("1"), QStringLiteral("--warmup"), QStringLiteral("0") });
        if (run.exitCode == 0)
            QSKIP("this machine has CUDA");
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("'cuda' is not available here")), qPrintable(run.err));
        const Run bad = runCli({ QStringLiteral("bench"), QStringLiteral("--device"), QStringLiteral("tpu") });
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains(QStringLiteral("unknown device 'tpu'")), qPrintable(bad.err));
    }

    void badStepsIsAUsageError()
    {
        const Run run = runCli({ QStringLiteral("bench"), QStringLiteral("--steps"), QStringLiteral("0") });
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(QStringLiteral("--steps")), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestCliBench)
#include "test_clibench.moc"

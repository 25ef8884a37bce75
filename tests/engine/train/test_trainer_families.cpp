// The training loop on tiny Gemma, Gemma 2, Gemma 3 and Phi-3 models (the
// demo-style smoke of issue [models]): LoRA+ on all linear projections for
// 40 steps over the fixture's prompt/completion pairs, with gradient
// checkpointing or a 4-bit NF4 base on some rows. The loss falls, every
// adapted matrix (Phi-3's fused qkv_proj and gate_up_proj included) gets
// its ‖ΔA‖, ‖ΔB‖ and δ-probe figures, and the checkpoint is a PEFT adapter
// that loads back onto the model.
#include "engine/lora/peftadapter.h"
#include "engine/model/causallm.h"
#include "engine/train/metricsqueue.h"
#include "engine/train/trainer.h"
#include "tests/engine/train/trainfixture.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

class TestTrainerFamilies : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lossFallsAndMetricsNameEveryMatrix_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("variant");
        QTest::addColumn<QString>("fusedName");
        QTest::newRow("gemma") << "gemma" << "" << "self_attn.q_proj";
        QTest::newRow("gemma2 checkpointing") << "gemma2" << "checkpointing" << "mlp.up_proj";
        QTest::newRow("gemma3_text nf4") << "gemma3_text" << "nf4" << "self_attn.k_proj";
        QTest::newRow("phi3") << "phi3" << "" << "self_attn.qkv_proj";
        QTest::newRow("phi3 nf4 checkpointing") << "phi3" << "nf4 checkpointing" << "mlp.gate_up_proj";
    }

    void lossFallsAndMetricsNameEveryMatrix()
    {
        QFETCH(QString, type);
        QFETCH(QString, variant);
        QFETCH(QString, fusedName);
        QTemporaryDir dir;
        trainfixture::write(dir.path(), type.toStdString(), 16);
        engine::RunSettings settings = trainfixture::settings(dir.path(), 40);
        settings.training.gradientCheckpointing = variant.contains("checkpointing");
        settings.training.baseWeights = variant.contains("nf4") ? "nf4" : "f32";
        settings.training.probeEvery = 5;
        settings.training.checkpointEvery = 0;
        engine::MetricsQueue queue;
        engine::TrainingControl control;
        engine::TrainerCallbacks callbacks;
        callbacks.metrics = &queue;
        const QString out = dir.filePath("run");
        const auto result = engine::Trainer::run(settings, { out.toStdString(), {}, {}, {} }, callbacks, control);
        QVERIFY2(result.isOk(), result.message().c_str());
        std::vector<engine::StepMetrics> steps;
        for (engine::StepMetrics &m : queue.drain())
            if (m.step > 0)
                steps.push_back(std::move(m));
        QCOMPARE(steps.size(), std::size_t(40));
        double first = 0, last = 0;
        for (int i = 0; i < 5; ++i) {
            first += steps[static_cast<std::size_t>(i)].loss / 5;
            last += steps[steps.size() - 1 - static_cast<std::size_t>(i)].loss / 5;
        }
        qInfo("%s: loss %.4f -> %.4f (mean of the first and last 5 steps)", qPrintable(type), first, last);
        QVERIFY2(std::isfinite(last) && last < 0.8 * first, qPrintable(QStringLiteral("%1 -> %2").arg(first).arg(last)));
        const engine::StepMetrics &probed = steps[4]; // step 5
        QVERIFY(!probed.matrices.empty());
        for (const engine::MatrixMetrics &m : probed.matrices)
            QVERIFY(m.deltaBNorm > 0 && m.aNorm > 0 && std::isfinite(m.delta1) && std::isfinite(m.delta2));
        engine::CausalLm model = engine::loadCausalLm(dir.filePath("model").toStdString());
        const engine::LoraModel lora
            = engine::loadPeftAdapter(QDir(out).filePath("checkpoint-40").toStdString(), model);
        bool found = false;
        for (const auto &m : lora.matrices())
            found = found || QString::fromStdString(m.name).endsWith(fusedName);
        QVERIFY2(found, qPrintable(fusedName));
    }
};

QTEST_GUILESS_MAIN(TestTrainerFamilies)
#include "test_trainer_families.moc"

// The training loop on tiny models: it learns (one batch overfitted), resumes
// exactly, stops and pauses on request, skips NaN steps and gives up after K,
// prunes checkpoints, and its per-matrix figures (‖ΔA‖, ‖ΔB‖, δ1..δ3) equal
// direct computations.
#include "engine/lora/peftadapter.h"
#include "engine/train/adaptermetrics.h"
#include "engine/train/deltaprobe.h"
#include "engine/train/metricsqueue.h"
#include "engine/train/trainer.h"
#include "tests/engine/train/trainfixture.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <thread>

namespace {

struct Recorded
{
    engine::Result<engine::TrainingOutcome> result = engine::Status::failure("not run");
    std::vector<engine::StepMetrics> steps; // training steps only (step > 0)
    std::vector<engine::TrainingState> states;
    std::vector<engine::CheckpointRecord> checkpoints;
    double baselineEval = std::nan(""); // the validation loss before step 1
};

// Runs the trainer on this thread; `onCheckpoint` may act on the control.
Recorded train(const engine::RunSettings &settings, const QString &out, const QString &resumeFrom = {},
    std::function<void(const engine::CheckpointRecord &, engine::TrainingControl &)> onCheckpoint = {},
    const QString &initAdapter = {})
{
    Recorded recorded;
    engine::MetricsQueue queue;
    engine::TrainingControl control;
    engine::TrainerCallbacks callbacks;
    callbacks.metrics = &queue;
    callbacks.stateChanged = [&](engine::TrainingState s) { recorded.states.push_back(s); };
    callbacks.checkpointSaved = [&](const engine::CheckpointRecord &r) {
        recorded.checkpoints.push_back(r);
        if (onCheckpoint)
            onCheckpoint(r, control);
    };
    recorded.result = engine::Trainer::run(
        settings, { out.toStdString(), resumeFrom.toStdString(), initAdapter.toStdString(), {} }, callbacks, control);
    for (engine::StepMetrics &m : queue.drain())
        if (m.step > 0)
            recorded.steps.push_back(std::move(m));
        else
            recorded.baselineEval = m.evalLoss;
    return recorded;
}

double relativeError(double a, double b)
{
    return std::abs(a - b) / std::max(1e-12, std::abs(b));
}

} // namespace

class TestTrainer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // One batch of 4 sequences, seen 150 times: the loss must fall by 90 %. The
    // output head is adapted too: behind the tiny model's frozen final norm, a
    // frozen 32-wide head cannot make one token's probability approach 1.
    // Also with the layers' projections stored as 4-bit NF4 (QLoRA).
    void overfitsOneBatch_data()
    {
        QTest::addColumn<QString>("baseWeights");
        QTest::newRow("f32") << QStringLiteral("f32");
        QTest::newRow("nf4") << QStringLiteral("nf4");
    }

    void overfitsOneBatch()
    {
        QFETCH(QString, baseWeights);
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama", 4);
        engine::RunSettings settings = trainfixture::settings(dir.path(), 150);
        settings.training.baseWeights = baseWeights.toStdString();
        settings.dataset.shuffle = false;
        settings.lora.rank = 8;
        settings.lora.alpha = 16;
        settings.lora.targetMode = engine::TargetMode::Suffixes;
        settings.lora.targetModules = { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
            "lm_head" };
        const Recorded run = train(settings, dir.filePath("run"));
        QVERIFY2(run.result.isOk(), run.result.message().c_str());
        QCOMPARE(run.result.value().end, engine::RunEnd::Completed);
        QCOMPARE(run.steps.size(), std::size_t(150));
        const double first = run.steps.front().loss, last = run.steps.back().loss;
        qInfo("loss %.4f -> %.4f (%.1f %% lower)", first, last, 100.0 * (1.0 - last / first));
        QVERIFY(last < 0.1 * first);
        QVERIFY(QDir(dir.filePath("run/checkpoint-150")).exists());
    }

    // Stopped at step 6 and resumed: steps 7..12 equal the uninterrupted run's (CPU, same threads).
    // Also with an automatic λ (its controller's state is in the checkpoint;
    // probing every step, so λ moves before and after the split) and with the
    // Riemannian optimizer.
    void resumesExactly_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("optimizer");
        QTest::newRow("llama") << "llama" << "";
        QTest::newRow("gpt2") << "gpt2" << "";
        QTest::newRow("llama auto") << "llama" << "auto";
        QTest::newRow("gpt2 auto per module") << "gpt2" << "auto module";
        QTest::newRow("llama riemannian") << "llama" << "riemannian";
    }
    void resumesExactly()
    {
        QFETCH(QString, type);
        QFETCH(QString, optimizer);
        QTemporaryDir dir;
        trainfixture::write(dir.path(), type.toStdString(), 24);
        engine::RunSettings settings = trainfixture::settings(dir.path(), 12, 0.2);
        if (optimizer.startsWith(QStringLiteral("auto"))) {
            settings.optimizer.autoRatio = true;
            settings.optimizer.ratioScope = optimizer.endsWith(QStringLiteral("module")) ? engine::RatioScope::Module
                                                                                      : engine::RatioScope::Global;
            settings.training.probeEvery = 1;
        }
        if (optimizer == QStringLiteral("riemannian"))
            settings.optimizer.kind = engine::OptimizerKind::Riemannian;
        settings.lora.dropout = 0.1; // draws from the RNG the checkpoint must restore
        settings.optimizer.schedule = engine::Schedule::Cosine;
        settings.optimizer.warmupSteps = 2;
        settings.training.checkpointEvery = 6;
        settings.training.evalEvery = 4;
        const Recorded whole = train(settings, dir.filePath("whole"));
        QVERIFY2(whole.result.isOk(), whole.result.message().c_str());

        const Recorded first = train(settings, dir.filePath("split"), {},
            [](const engine::CheckpointRecord &r, engine::TrainingControl &c) {
                if (r.step == 6)
                    c.requestStop();
            });
        QVERIFY2(first.result.isOk(), first.result.message().c_str());
        QCOMPARE(first.result.value().end, engine::RunEnd::Stopped);
        QCOMPARE(first.result.value().steps, std::int64_t(6));
        const Recorded second = train(settings, dir.filePath("split"), dir.filePath("split/checkpoint-6"));
        QVERIFY2(second.result.isOk(), second.result.message().c_str());
        QCOMPARE(second.steps.size(), std::size_t(6));
        for (std::size_t i = 0; i < 6; ++i) {
            const engine::StepMetrics &a = whole.steps[6 + i], &b = second.steps[i];
            QCOMPARE(b.step, a.step);
            QVERIFY2(relativeError(b.loss, a.loss) <= 1e-6,
                qPrintable(QStringLiteral("step %1: %2 vs %3").arg(a.step).arg(b.loss, 0, 'g', 10).arg(a.loss, 0, 'g', 10)));
            QCOMPARE(std::isnan(b.evalLoss), std::isnan(a.evalLoss));
            if (!std::isnan(a.evalLoss))
                QVERIFY(relativeError(b.evalLoss, a.evalLoss) <= 1e-6);
            QCOMPARE(b.loraPlusRatios.size(), a.loraPlusRatios.size());
            for (std::size_t k = 0; k < a.loraPlusRatios.size(); ++k)
                QVERIFY(relativeError(b.loraPlusRatios[k].ratio, a.loraPlusRatios[k].ratio) <= 1e-9);
        }
        if (settings.optimizer.autoRatio) { // one λ, or one per module type (c_attn, c_proj, c_fc); and it moved
            const std::size_t keys = whole.steps.back().loraPlusRatios.size();
            QVERIFY(optimizer.endsWith(QStringLiteral("module")) ? keys == 3 : keys == 1);
            QVERIFY(whole.steps[5].loraPlusRatios.front().ratio != settings.optimizer.loraPlusRatio);
        }
    }

    // A run started from a PEFT adapter (here another run's checkpoint, with
    // another rank than the settings ask for: the adapter's config wins)
    // begins where that adapter is: its baseline validation loss is the
    // adapter's last one, and a fresh run's is not.
    void startsFromAnAdapter()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama", 24);
        engine::RunSettings settings = trainfixture::settings(dir.path(), 6, 0.25);
        settings.lora.dropout = 0.0;
        settings.lora.rank = 4;
        settings.training.evalEvery = 6;
        settings.training.checkpointEvery = 6;
        const Recorded first = train(settings, dir.filePath("first"));
        QVERIFY2(first.result.isOk(), first.result.message().c_str());
        const double trained = first.result.value().lastEvalLoss;

        engine::RunSettings other = settings;
        other.lora.rank = 8;
        other.training.maxSteps = 2;
        const Recorded fresh = train(other, dir.filePath("fresh"));
        QVERIFY2(fresh.result.isOk(), fresh.result.message().c_str());
        const Recorded continued = train(other, dir.filePath("continued"), {}, {}, dir.filePath("first/checkpoint-6"));
        QVERIFY2(continued.result.isOk(), continued.result.message().c_str());
        QVERIFY2(relativeError(continued.baselineEval, trained) <= 1e-6,
                 qPrintable(QStringLiteral("%1 vs %2").arg(continued.baselineEval, 0, 'g', 10).arg(trained, 0, 'g', 10)));
        QVERIFY(relativeError(fresh.baselineEval, trained) > 1e-3);

        const Recorded missing = train(other, dir.filePath("missing"), {}, {}, dir.filePath("no-such-adapter"));
        QVERIFY(!missing.result.isOk());
        QVERIFY2(missing.result.message().find("no-such-adapter") != std::string::npos, missing.result.message().c_str());
    }

    void refusesCheckpointOfOtherSettings()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path());
        engine::RunSettings settings = trainfixture::settings(dir.path(), 2);
        QVERIFY(train(settings, dir.filePath("run")).result.isOk());
        settings.lora.rank = 8;
        const Recorded resumed = train(settings, dir.filePath("run"), dir.filePath("run/checkpoint-2"));
        QVERIFY(!resumed.result.isOk());
        QVERIFY2(resumed.result.message().find("other adapter, optimizer or data settings") != std::string::npos,
            resumed.result.message().c_str());
    }

    void stopBeforeFirstStepIsAnOutcome()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path());
        engine::TrainingControl control;
        control.requestStop();
        const auto result = engine::Trainer::run(trainfixture::settings(dir.path(), 5),
            { dir.filePath("run").toStdString(), {}, {}, {} }, {}, control);
        QVERIFY2(result.isOk(), result.message().c_str());
        QCOMPARE(result.value().end, engine::RunEnd::Stopped);
        QCOMPARE(result.value().steps, std::int64_t(0));
    }

    void pausesAndResumes()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path());
        engine::RunSettings settings = trainfixture::settings(dir.path(), 4);
        settings.training.checkpointEvery = 2;
        std::thread resumer;
        const Recorded run = train(settings, dir.filePath("run"), {},
            [&](const engine::CheckpointRecord &r, engine::TrainingControl &c) {
                if (r.step != 2)
                    return;
                c.pause();
                resumer = std::thread([&c] {
                    std::this_thread::sleep_for(std::chrono::milliseconds(200));
                    c.resume();
                });
            });
        resumer.join();
        QVERIFY2(run.result.isOk(), run.result.message().c_str());
        QCOMPARE(run.result.value().steps, std::int64_t(4));
        const auto paused = std::find(run.states.begin(), run.states.end(), engine::TrainingState::Paused);
        QVERIFY(paused != run.states.end());
        QCOMPARE(*(paused + 1), engine::TrainingState::Running);
    }

    // A damaged model: the embedding of 'Z' is NaN, so every batch with a 'Z'
    // gives a NaN loss. Batches (4 records, in file order): clean, Z, clean, Z, Z.
    // The Z steps are skipped without touching the adapter; two in a row end
    // the run as diverged, keeping the checkpoint of step 3.
    void nanStepsAreSkippedThenStop()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama", 4, 'Z');
        QFile data(dir.filePath("train.jsonl"));
        QVERIFY(data.open(QIODevice::WriteOnly));
        for (const char *word : { "ab", "Zq", "cd", "Zr", "Zs" })
            for (int i = 0; i < 4; ++i)
                data.write(QByteArray("{\"text\": \"") + word + " text " + QByteArray::number(i) + "\"}\n");
        data.close();
        engine::RunSettings settings = trainfixture::settings(dir.path(), 20);
        settings.dataset.shuffle = false;
        settings.training.checkpointEvery = 1;
        settings.training.maxBadSteps = 2;
        const Recorded run = train(settings, dir.filePath("run"));
        QVERIFY2(run.result.isOk(), run.result.message().c_str());
        const engine::TrainingOutcome &outcome = run.result.value();
        QCOMPARE(outcome.end, engine::RunEnd::Diverged);
        QCOMPARE(outcome.steps, std::int64_t(5));
        QCOMPARE(run.steps.size(), std::size_t(5));
        const bool expected[] = { false, true, false, true, true };
        for (std::size_t i = 0; i < 5; ++i)
            QCOMPARE(run.steps[i].skipped, expected[i]);
        QCOMPARE(run.steps[1].matrices.front().deltaANorm != run.steps[1].matrices.front().deltaANorm, true);
        QVERIFY(QString::fromStdString(outcome.lastCheckpoint).endsWith(QStringLiteral("checkpoint-3")));
        QVERIFY(!QDir(dir.filePath("run/checkpoint-5")).exists());
        QVERIFY2(outcome.message.find("in a row") != std::string::npos, outcome.message.c_str());
    }

    void keepsNewestAndBestCheckpoints()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama", 24);
        engine::RunSettings settings = trainfixture::settings(dir.path(), 8, 0.2);
        settings.training.checkpointEvery = 1;
        settings.training.keepCheckpoints = 2;
        settings.training.evalEvery = 1;
        const Recorded run = train(settings, dir.filePath("run"));
        QVERIFY2(run.result.isOk(), run.result.message().c_str());
        QStringList left = QDir(dir.filePath("run")).entryList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden);
        const QString best = QFileInfo(QString::fromStdString(run.result.value().bestCheckpoint)).fileName();
        QVERIFY(left.contains("checkpoint-8") && left.contains("checkpoint-7") && left.contains(best));
        QCOMPARE(left.size(), best == "checkpoint-8" || best == "checkpoint-7" ? 2 : 3);
    }

    // Every checkpoint is a PEFT adapter folder: loading it onto the base gives
    // the same logits as the adapter the trainer left in memory would.
    void checkpointIsAPeftAdapter()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "gpt2");
        QVERIFY(train(trainfixture::settings(dir.path(), 3), dir.filePath("run")).result.isOk());
        const engine::CausalLm model = engine::loadCausalLm(dir.filePath("model").toStdString());
        const torch::Tensor ids = torch::arange(0, 20).reshape({ 1, 20 });
        const torch::Tensor base = model.forward(ids);
        engine::LoraModel lora = engine::loadPeftAdapter(dir.filePath("run/checkpoint-3").toStdString(), model);
        const torch::Tensor adapted = model.forward(ids);
        QVERIFY((adapted - base).abs().max().item<double>() > 1e-4); // the adapter changed something
        QCOMPARE(int(lora.matrices().size()), 2 * 4); // 2 layers × c_attn, c_proj, c_fc, mlp.c_proj
    }

    // ‖ΔA‖, ‖ΔB‖, ‖A‖, ‖B‖ and the δ-terms against direct per-matrix computations.
    void matrixFiguresMatchDirectComputation()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama");
        const engine::CausalLm model = engine::loadCausalLm(dir.filePath("model").toStdString());
        engine::LoraConfig config;
        config.rank = 4;
        config.dropout = 0.0;
        config.targetModules = { "q_proj", "v_proj" };
        engine::LoraModel lora = engine::LoraModel::inject(model, config, 3);
        torch::NoGradGuard noGrad;
        torch::manual_seed(4);
        for (auto &[name, t] : lora.namedParameters())
            t.copy_(torch::randn_like(t) * 0.1);

        const torch::Tensor ids = torch::arange(3, 19).reshape({ 1, 16 });
        engine::AdapterMetrics norms(lora);
        engine::DeltaProbe probe(model, lora, ids);
        norms.snapshot();
        lora.setTraining(true); // as during a run: the probe must leave the adapters (and their dropout) training
        probe.capture();
        for (const auto &m : lora.matrices())
            QVERIFY(m.lora->is_training());
        std::vector<torch::Tensor> a0, b0;
        for (const auto &m : lora.matrices()) {
            a0.push_back(m.lora->A.clone());
            b0.push_back(m.lora->B.clone());
        }
        for (auto &[name, t] : lora.namedParameters()) // "the optimizer step"
            t.add_(torch::randn_like(t) * 0.01);
        std::vector<engine::MatrixMetrics> out(lora.matrices().size());
        norms.measure(out);
        probe.measure(out);

        // Layer 0's q_proj and v_proj see RMSNorm(embedding(ids)), computable from the weights alone.
        torch::Tensor embed, norm;
        for (const auto &item : model.module().named_parameters()) {
            if (item.key() == "model.embed_tokens.weight")
                embed = item.value();
            if (item.key() == "model.layers.0.input_layernorm.weight")
                norm = item.value();
        }
        const torch::Tensor h = embed.index_select(0, ids.reshape({ -1 }));                        // (N, C)
        const torch::Tensor x = h * torch::rsqrt(h.square().mean(-1, true) + 1e-6) * norm;          // (N, C)
        auto rms = [](const torch::Tensor &t) { return t.square().mean().sqrt().item<double>(); };
        for (std::size_t i = 0; i < lora.matrices().size(); ++i) {
            const auto &m = lora.matrices()[i];
            const torch::Tensor dA = m.lora->A - a0[i], dB = m.lora->B - b0[i];
            QVERIFY(relativeError(out[i].deltaANorm, dA.norm().item<double>()) < 1e-5);
            QVERIFY(relativeError(out[i].deltaBNorm, dB.norm().item<double>()) < 1e-5);
            QVERIFY(relativeError(out[i].aNorm, m.lora->A.norm().item<double>()) < 1e-5);
            QVERIFY(relativeError(out[i].bNorm, m.lora->B.norm().item<double>()) < 1e-5);
            if (m.layer != 0)
                continue;
            const double d1 = rms(torch::matmul(torch::matmul(x, dA.t()), b0[i].t()));
            const double d2 = rms(torch::matmul(torch::matmul(x, a0[i].t()), dB.t()));
            const double d3 = rms(torch::matmul(torch::matmul(x, dA.t()), dB.t()));
            qInfo("%s: delta1 %.3g delta2 %.3g delta3 %.3g", m.name.c_str(), d1, d2, d3);
            QVERIFY(relativeError(out[i].delta1, d1) < 1e-4);
            QVERIFY(relativeError(out[i].delta2, d2) < 1e-4);
            QVERIFY(relativeError(out[i].delta3, d3) < 1e-4);
        }
    }

    // In a real run: norms every step, δ-terms on probe steps only, LoRA+ rates in the ratio λ.
    void reportsMetricsEveryStep()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama", 24);
        engine::RunSettings settings = trainfixture::settings(dir.path(), 6, 0.2);
        settings.training.probeEvery = 3;
        settings.training.evalEvery = 3;
        const Recorded run = train(settings, dir.filePath("run"));
        QVERIFY2(run.result.isOk(), run.result.message().c_str());
        for (const engine::StepMetrics &m : run.steps) {
            QVERIFY(!m.matrices.empty());
            // B starts at 0, so A's gradient (and ΔA) is exactly 0 in the first step.
            QCOMPARE(m.matrices.front().deltaANorm > 0, m.step > 1);
            QVERIFY(m.matrices.front().deltaBNorm > 0);
            QCOMPARE(std::isnan(m.matrices.front().delta1), m.step % 3 != 0);
            QCOMPARE(std::isnan(m.evalLoss), m.step % 3 != 0);
            QVERIFY(m.tokens > 0 && m.tokensPerSecond > 0 && m.gradNorm > 0);
            double a = 0, b = 0;
            for (const auto &rate : m.learningRates) {
                if (rate.group == "A")
                    a = rate.lr;
                if (rate.group == "B")
                    b = rate.lr;
            }
            QVERIFY(relativeError(b / a, settings.optimizer.loraPlusRatio) < 1e-9);
        }
    }

    void settingsDocumentRoundTrip()
    {
        QTemporaryDir dir;
        engine::RunSettings settings = trainfixture::settings(dir.path(), 7);
        settings.lora.rank = 12;
        const auto back = engine::RunSettings::fromDocument(settings.toDocument(), "test");
        QVERIFY2(back.isOk(), back.message().c_str());
        QCOMPARE(back.value().toDocument(), settings.toDocument());
        QCOMPARE(back.value().resumeHash(), settings.resumeHash());
        engine::RunSettings longer = settings;
        longer.training.maxSteps = 99;
        QCOMPARE(longer.resumeHash(), settings.resumeHash());
        engine::RunSettings other = settings;
        other.optimizer.learningRate *= 2;
        QVERIFY(other.resumeHash() != settings.resumeHash());
        const auto bad = engine::RunSettings::fromDocument(
            "{\"lorafit_settings\": 1, \"sections\": {\"model\": {\"version\": 1, \"values\": {}}}}", "bad.json");
        QVERIFY(!bad.isOk());
        QVERIFY2(bad.message().find("bad.json") != std::string::npos, bad.message().c_str());
    }

    void badDeviceIsAClearError()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path());
        engine::RunSettings settings = trainfixture::settings(dir.path(), 2);
        settings.training.device = "cuda:3";
        const Recorded run = train(settings, dir.filePath("run"));
        QVERIFY(!run.result.isOk());
        QVERIFY2(run.result.message().find("training.device") != std::string::npos, run.result.message().c_str());
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "test_trainer.moc"

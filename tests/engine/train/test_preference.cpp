// Preference tuning on tiny models: the DPO (with label smoothing) and ORPO
// losses and their gradients against a direct computation from the formulas
// over full logits (f64, autograd), including DPO's reference pass with the
// adapters switched off or at their starting values; and DPO / ORPO runs of
// the trainer: the held-out preference accuracy rises, resume is exact, and
// data of the wrong kind for the objective is refused with a hint.
#include "engine/lora/loramodel.h"
#include "engine/train/metricsqueue.h"
#include "engine/train/preferenceloss.h"
#include "engine/train/trainer.h"
#include "tests/engine/train/trainfixture.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace {

// Summed log-probabilities of each row's counted labels, from the full logits (R) f64, differentiable.
torch::Tensor directSums(const engine::CausalLm &model, const torch::Tensor &ids, const torch::Tensor &labels)
{
    const torch::Tensor logp = torch::log_softmax(model.forward(ids).to(torch::kDouble), 2).slice(1, 0, -1); // (R, T−1, V)
    const torch::Tensor targets = labels.slice(1, 1);                                                    // (R, T−1)
    const torch::Tensor counted = targets != -100;
    const torch::Tensor picked = logp.gather(2, targets.clamp_min(0).unsqueeze(2)).squeeze(2); // (R, T−1)
    return (picked * counted.to(torch::kDouble)).sum(1);                                      // (R)
}

// DPO and ORPO written out from the papers' formulas, mean over pairs.
torch::Tensor directLoss(const engine::PreferenceSettings &settings, const torch::Tensor &policy,
    const torch::Tensor &reference, const torch::Tensor &counts)
{
    const torch::Tensor c = policy.index({ torch::indexing::Slice(0, torch::indexing::None, 2) });
    const torch::Tensor r = policy.index({ torch::indexing::Slice(1, torch::indexing::None, 2) });
    if (!settings.orpo) {
        const torch::Tensor rc = reference.index({ torch::indexing::Slice(0, torch::indexing::None, 2) });
        const torch::Tensor rr = reference.index({ torch::indexing::Slice(1, torch::indexing::None, 2) });
        const torch::Tensor z = settings.beta * ((c - rc) - (r - rr));
        const double e = settings.labelSmoothing;
        return (-(1 - e) * torch::log(torch::sigmoid(z)) - e * torch::log(torch::sigmoid(-z))).mean();
    }
    const torch::Tensor pc = c / counts.index({ torch::indexing::Slice(0, torch::indexing::None, 2) });
    const torch::Tensor pr = r / counts.index({ torch::indexing::Slice(1, torch::indexing::None, 2) });
    const torch::Tensor oddsC = torch::exp(pc) / (1 - torch::exp(pc));
    const torch::Tensor oddsR = torch::exp(pr) / (1 - torch::exp(pr));
    return (-pc - settings.orpoLambda * torch::log(torch::sigmoid(torch::log(oddsC / oddsR)))).mean();
}

// Two pairs of rows with prompts masked and right padding: (4, 9) ids and labels.
void pairBatch(torch::Tensor &ids, torch::Tensor &labels)
{
    ids = torch::randint(0, 250, { 4, 9 }, torch::TensorOptions().dtype(torch::kLong));
    labels = ids.clone();
    const int promptLength[] = { 3, 3, 4, 4 }, length[] = { 9, 7, 8, 6 };
    for (int r = 0; r < 4; ++r) {
        labels[r].slice(0, 0, promptLength[r]).fill_(-100);
        labels[r].slice(0, length[r]).fill_(-100);
        ids[r].slice(0, length[r]).fill_(256);
    }
}

void randomiseAdapters(engine::LoraModel &lora, double scale)
{
    torch::NoGradGuard noGrad;
    for (const torch::Tensor &parameter : lora.parameters())
        parameter.copy_(torch::randn_like(parameter) * scale);
}

std::vector<torch::Tensor> gradientsAfter(engine::LoraModel &lora, const std::function<void()> &backward)
{
    for (const torch::Tensor &parameter : lora.parameters())
        if (parameter.grad().defined())
            parameter.mutable_grad().zero_();
    backward();
    std::vector<torch::Tensor> out;
    for (const torch::Tensor &parameter : lora.parameters())
        out.push_back(parameter.grad().to(torch::kDouble).clone());
    return out;
}

double relativeError(double a, double b)
{
    return std::abs(a - b) / std::max(1e-12, std::abs(b));
}

struct Run
{
    engine::Result<engine::TrainingOutcome> result = engine::Status::failure("not run");
    std::vector<engine::StepMetrics> steps; // every report, the evaluation before step 1 included
};

Run train(const engine::RunSettings &settings, const QString &out, const QString &resumeFrom = {}, int stopAt = 0)
{
    Run run;
    engine::MetricsQueue queue;
    engine::TrainingControl control;
    engine::TrainerCallbacks callbacks;
    callbacks.metrics = &queue;
    callbacks.checkpointSaved = [&](const engine::CheckpointRecord &record) {
        if (stopAt > 0 && record.step == stopAt)
            control.requestStop();
    };
    run.result = engine::Trainer::run(settings, { out.toStdString(), resumeFrom.toStdString(), {}, {} }, callbacks, control);
    run.steps = queue.drain();
    return run;
}

// Pairs that differ only in the answer: " greets X." (chosen) against " snubs X." (rejected).
void writePairs(const QString &path, int records)
{
    static const char *const kNames[] = { "Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal" };
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    for (int i = 0; i < records; ++i) {
        const QString a = kNames[i % 8], b = kNames[(i * 3 + 1) % 8];
        file.write(QStringLiteral("{\"prompt\": \"What does %1 do to %2?\", \"chosen\": \" %1 greets %2.\", "
                                  "\"rejected\": \" %1 snubs %2.\"}\n").arg(b, a).toUtf8());
    }
}

engine::RunSettings pairSettings(const QString &dir, const std::string &objective, std::int64_t steps)
{
    engine::RunSettings s = trainfixture::settings(dir, steps, 0.25);
    s.dataset.trainPath = QDir(dir).filePath(QStringLiteral("pairs.jsonl")).toStdString();
    s.training.objective = objective;
    s.training.beta = 0.5;
    s.training.evalEvery = steps;
    s.optimizer.learningRate = 5e-3;
    return s;
}

} // namespace

class TestPreference : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lossAndGradientMatchFormulas_data()
    {
        QTest::addColumn<QString>("objective");
        QTest::addColumn<double>("labelSmoothing");
        QTest::addColumn<bool>("startsAtBase");
        QTest::newRow("dpo, reference = adapters off") << "dpo" << 0.0 << true;
        QTest::newRow("dpo with label smoothing, reference = start values") << "dpo" << 0.2 << false;
        QTest::newRow("orpo") << "orpo" << 0.0 << true;
    }

    // The chunked two-pass loss and its gradients against full-logit autograd, 1e-5.
    void lossAndGradientMatchFormulas()
    {
        QFETCH(QString, objective);
        QFETCH(double, labelSmoothing);
        QFETCH(bool, startsAtBase);
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama");
        torch::manual_seed(3);
        const engine::CausalLm model = engine::loadCausalLm(dir.filePath("model").toStdString());
        engine::LoraConfig config;
        config.rank = 4;
        config.alpha = 8;
        config.targetMode = engine::TargetMode::AllLinear;
        config.dropout = 0.0;
        engine::LoraModel lora = engine::LoraModel::inject(model, config, 11);
        randomiseAdapters(lora, 0.05);
        const engine::PreferenceReference reference(lora, startsAtBase);
        std::vector<torch::Tensor> start;
        for (const torch::Tensor &parameter : lora.parameters())
            start.push_back(parameter.detach().clone());
        if (!startsAtBase)
            randomiseAdapters(lora, 0.05); // the reference keeps the values it was made with
        engine::PreferenceSettings settings;
        settings.orpo = objective == "orpo";
        settings.beta = 0.3;
        settings.labelSmoothing = labelSmoothing;
        settings.orpoLambda = 0.4;
        torch::Tensor ids, labels;
        pairBatch(ids, labels);

        // Direct: reference sums with the adapters off or at their start values, then autograd in f64.
        torch::Tensor referenceSums;
        {
            torch::NoGradGuard noGrad;
            std::vector<torch::Tensor> now;
            for (const torch::Tensor &parameter : lora.parameters())
                now.push_back(parameter.detach().clone());
            if (startsAtBase) {
                lora.setEnabled(false);
            } else {
                for (std::size_t i = 0; i < start.size(); ++i)
                    lora.parameters()[i].copy_(start[i]);
            }
            referenceSums = directSums(model, ids, labels);
            lora.setEnabled(true);
            for (std::size_t i = 0; i < now.size(); ++i)
                lora.parameters()[i].copy_(now[i]);
        }
        const torch::Tensor counts = (labels.slice(1, 1) != -100).sum(1).to(torch::kDouble);
        double expectedLoss = 0.0;
        const std::vector<torch::Tensor> expected = gradientsAfter(lora, [&] {
            const torch::Tensor loss = directLoss(settings, directSums(model, ids, labels), referenceSums, counts);
            expectedLoss = loss.item<double>();
            loss.backward();
        });

        torch::Tensor policyBefore;
        {
            torch::NoGradGuard noGrad;
            policyBefore = directSums(model, ids, labels);
        }
        engine::PreferenceTotals totals;
        double loss = 0.0; // the loss sum × 0.5: the mean over the 2 pairs, so gradients compare 1:1
        const std::vector<torch::Tensor> actual = gradientsAfter(lora, [&] {
            loss = engine::preferenceLossBackward(model, &reference, settings, ids, labels, 0.5, totals);
        });
        QVERIFY2(relativeError(loss, expectedLoss) < 1e-5,
            qPrintable(QStringLiteral("loss %1 vs %2").arg(loss).arg(expectedLoss)));
        QVERIFY(relativeError(totals.meanLoss(), expectedLoss) < 1e-5);
        QCOMPARE(totals.pairs, 2.0);
        double worst = 0.0, largest = 0.0;
        for (std::size_t i = 0; i < actual.size(); ++i) {
            worst = std::max(worst, (actual[i] - expected[i]).abs().max().item<double>());
            largest = std::max(largest, expected[i].abs().max().item<double>());
        }
        QVERIFY(largest > 1e-6); // the gradient is not trivially zero
        QVERIFY2(worst <= 1e-5 * largest, qPrintable(QStringLiteral("gradient error %1 of %2").arg(worst).arg(largest)));
        // The reference pass left the adapters switched on, with their values.
        torch::NoGradGuard noGrad;
        QCOMPARE((directSums(model, ids, labels) - policyBefore).abs().max().item<double>(), 0.0);
    }

    // DPO and ORPO from the base model on pairs the tiny model cannot tell
    // apart at first: the held-out preference accuracy starts near a coin flip
    // and reaches 100 %. Also with the base in 4-bit NF4 and gradient checkpointing.
    void accuracyRises_data()
    {
        QTest::addColumn<QString>("objective");
        QTest::addColumn<bool>("saveMemory");
        QTest::newRow("dpo") << "dpo" << false;
        QTest::newRow("orpo") << "orpo" << false;
        QTest::newRow("dpo, nf4 base, gradient checkpointing") << "dpo" << true;
    }

    void accuracyRises()
    {
        QFETCH(QString, objective);
        QFETCH(bool, saveMemory);
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama");
        writePairs(dir.filePath("pairs.jsonl"), 16);
        engine::RunSettings settings = pairSettings(dir.path(), objective.toStdString(), 40);
        if (saveMemory) {
            settings.training.baseWeights = "nf4";
            settings.training.gradientCheckpointing = true;
        }
        const Run run = train(settings, dir.filePath("run"));
        QVERIFY2(run.result.isOk(), run.result.message().c_str());
        QCOMPARE(run.result.value().end, engine::RunEnd::Completed);
        const engine::StepMetrics &before = run.steps.front();
        const engine::StepMetrics &after = run.steps.back();
        QCOMPARE(before.step, std::int64_t(0));
        QVERIFY(std::isfinite(before.evalPreference.accuracy));
        if (objective == "dpo") { // the policy is the reference: no margin, loss log 2
            QVERIFY(std::abs(before.evalPreference.rewardMargin) < 1e-6);
            QVERIFY(std::abs(before.evalLoss - std::log(2.0)) < 1e-6);
        }
        QCOMPARE(after.evalPreference.accuracy, 1.0);
        QVERIFY(after.evalPreference.rewardMargin > 0.0);
        QVERIFY(after.evalPreference.rewardMargin > before.evalPreference.rewardMargin);
        QVERIFY(after.evalLoss < before.evalLoss);
        QVERIFY(std::isfinite(after.preference.rewardChosen) && std::isfinite(after.preference.logpRejected));
    }

    // Stopping at a checkpoint and resuming gives the uninterrupted run's losses to 1e-6.
    void resumesExactly()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama");
        writePairs(dir.filePath("pairs.jsonl"), 16);
        engine::RunSettings settings = pairSettings(dir.path(), "dpo", 8);
        settings.training.checkpointEvery = 4;
        settings.lora.init = engine::LoraInit::Pissa; // the reference is the starting adapter, rebuilt on resume
        const Run whole = train(settings, dir.filePath("whole"));
        QVERIFY2(whole.result.isOk(), whole.result.message().c_str());
        const Run first = train(settings, dir.filePath("split"), {}, 4);
        QCOMPARE(first.result.value().end, engine::RunEnd::Stopped);
        const Run second = train(settings, dir.filePath("split"), dir.filePath("split/checkpoint-4"));
        QVERIFY2(second.result.isOk(), second.result.message().c_str());
        QCOMPARE(second.steps.back().step, std::int64_t(8));
        const engine::StepMetrics &a = whole.steps.back(), &b = second.steps.back();
        QVERIFY2(relativeError(b.loss, a.loss) < 1e-6, qPrintable(QStringLiteral("%1 vs %2").arg(b.loss).arg(a.loss)));
        QVERIFY(relativeError(b.evalLoss, a.evalLoss) < 1e-6);
        QVERIFY(relativeError(b.preference.rewardMargin, a.preference.rewardMargin) < 1e-5);
    }

    void refusesDataOfTheOtherKind()
    {
        QTemporaryDir dir;
        trainfixture::write(dir.path(), "llama");
        writePairs(dir.filePath("pairs.jsonl"), 8);
        engine::RunSettings sft = pairSettings(dir.path(), "sft", 2);
        const Run pairsWithSft = train(sft, dir.filePath("a"));
        QVERIFY(!pairsWithSft.result.isOk());
        QVERIFY2(pairsWithSft.result.message().find("holds preference pairs") != std::string::npos
                && pairsWithSft.result.message().find("hint: set training.objective") != std::string::npos,
            pairsWithSft.result.message().c_str());
        engine::RunSettings dpo = trainfixture::settings(dir.path(), 2);
        dpo.training.objective = "dpo";
        const Run textWithDpo = train(dpo, dir.filePath("b"));
        QVERIFY(!textWithDpo.result.isOk());
        QVERIFY2(textWithDpo.result.message().find("has the shape 'prompt_completion'") != std::string::npos,
            textWithDpo.result.message().c_str());
        dpo.training.objective = "kto";
        QVERIFY(dpo.training.validate().message().find("training.objective: unknown 'kto'") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestPreference)
#include "test_preference.moc"

// What an export reads from a trainer checkpoint (trainer_state.json: step,
// base model path, settings rows, data, conversational) and from a project
// (a run's best-eval checkpoint, else its last), and the README.md card made
// of it. Torch-free.
#include "engine/core/atomicfile.h"
#include "engine/export/checkpointsource.h"
#include "engine/export/modelcard.h"
#include "engine/project/projectstore.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

namespace {

void writeState(const QString &folder, const std::string &shape)
{
    QDir().mkpath(folder);
    const std::string state = R"({"step": 120, "eval_loss": 1.25, "train_loss": 1.5, "settings": {"lorafit_settings": 1,
        "sections": {"model": {"version": 1, "values": {"path": "/models/base"}},
                     "dataset": {"version": 1, "values": {"train_path": "/data/chat.jsonl", "shape": ")" + shape + R"("}},
                     "lora": {"version": 1, "values": {"rank": 16, "alpha": 32, "target_modules": ["q_proj"]}},
                     "optimizer": {"version": 1, "values": {"learning_rate": 0.0002}}}}})";
    engine::writeFileAtomically((folder + "/trainer_state.json").toStdString(), state);
}

bool hasRow(const std::vector<std::pair<std::string, std::string>> &rows, const std::string &key, const std::string &value)
{
    for (const auto &[k, v] : rows)
        if (k == key && v == value)
            return true;
    return false;
}

} // namespace

class TestCheckpointSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsTrainerState()
    {
        QTemporaryDir dir;
        writeState(dir.filePath("c"), "messages");
        const auto source = engine::readCheckpointSource(dir.filePath("c").toStdString());
        QVERIFY2(source.isOk(), source.message().c_str());
        QCOMPARE(source->step, std::int64_t(120));
        QCOMPARE(source->modelPath, std::string("/models/base"));
        QVERIFY(source->conversational);
        QCOMPARE(source->card.data, std::string("`chat.jsonl` (messages)"));
        QVERIFY(hasRow(source->card.settings, "lora.rank", "16"));
        QVERIFY(hasRow(source->card.settings, "lora.target_modules", "[\"q_proj\"]"));
        QVERIFY(hasRow(source->card.settings, "optimizer.learning_rate", "0.0002"));
        QVERIFY(hasRow(source->card.metrics, "step", "120"));
        QVERIFY(hasRow(source->card.metrics, "eval_loss", "1.25"));

        writeState(dir.filePath("t"), "text");
        QVERIFY(!engine::readCheckpointSource(dir.filePath("t").toStdString())->conversational);
        // A plain PEFT folder has no trainer_state.json: an empty source, not an error.
        const auto plain = engine::readCheckpointSource(dir.path().toStdString());
        QVERIFY(plain.isOk());
        QCOMPARE(plain->step, std::int64_t(-1));
        engine::writeFileAtomically(dir.filePath("t/trainer_state.json").toStdString(), R"({"step": "x"})");
        const auto bad = engine::readCheckpointSource(dir.filePath("t").toStdString());
        QVERIFY(!bad.isOk());
        QVERIFY2(QString::fromStdString(bad.message()).contains("trainer_state.json: step"), bad.message().c_str());
    }

    void modelCardCarriesTheInputs()
    {
        engine::ModelCardInputs card;
        card.data = "alpaca.jsonl";
        card.settings = {{"rank", "16"}, {"pipe|name", "a\nb"}};
        card.metrics = {{"eval loss", "1.234"}};
        const std::string text = engine::modelCardMarkdown(card, "/models/my \"base\"");
        QVERIFY(text.rfind("---\nbase_model: \"/models/my \\\"base\\\"\"\nlibrary_name: peft\n", 0) == 0);
        QVERIFY(text.find("# my \"base\" LoRA adapter") != std::string::npos);
        QVERIFY(text.find("alpaca.jsonl") != std::string::npos);
        QVERIFY(text.find("| rank | 16 |") != std::string::npos);
        QVERIFY(text.find("| pipe\\|name | a b |") != std::string::npos);
        QVERIFY(text.find("| eval loss | 1.234 |") != std::string::npos);
        QVERIFY(text.find("PeftModel.from_pretrained") != std::string::npos);
    }

    void projectRunPicksTheBestCheckpoint()
    {
        QTemporaryDir dir;
        const std::string project = dir.filePath("p.lorafit").toStdString();
        std::int64_t runId = 0, empty = 0;
        {
            auto store = engine::ProjectStore::create(project);
            QVERIFY2(store.isOk(), store.message().c_str());
            runId = store->createRun({"r", "cpu", "{}", {}, ""}).value();
            empty = store->createRun({"e", "cpu", "{}", {}, ""}).value();
            const std::vector<std::pair<int, double>> evals = {{10, 2.0}, {20, 1.5}, {25, 1.0}, {30, 1.8}};
            for (const auto &[step, loss] : evals)
                QVERIFY(store->addEvalResult(runId, {step, "eval", loss, "{}", 0}).isOk());
            QVERIFY(store->addEvalResult(runId, {30, "other-split", 0.1, "{}", 0}).isOk());
            for (int step : {10, 20, 30})
                QVERIFY(store->addCheckpoint(runId, {step, dir.filePath(QString("c-%1").arg(step)).toStdString(), 0, "", 0}).isOk());
        }
        // Step 25 has the lowest "eval" loss but no checkpoint; other eval names do not count.
        const auto best = engine::projectRunCheckpoint(project, runId);
        QVERIFY2(best.isOk(), best.message().c_str());
        QCOMPARE(QString::fromStdString(best.value()), dir.filePath("c-20"));
        const auto none = engine::projectRunCheckpoint(project, empty);
        QVERIFY(!none.isOk());
        QVERIFY2(QString::fromStdString(none.message()).contains("has no checkpoint"), none.message().c_str());
    }
};

QTEST_GUILESS_MAIN(TestCheckpointSource)
#include "test_checkpointsource.moc"

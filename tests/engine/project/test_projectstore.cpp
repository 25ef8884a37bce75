// ProjectStore contents: create/reopen, batched metric appends read back,
// batches that fail leave nothing, settings documents, run records, paths
// relative to the project folder, and migration from a version-1 file.
#include "engine/project/projectschema.h"
#include "engine/project/projectstore.h"
#include "projecttesthelpers.h"

#include <QDir>
#include <QTemporaryDir>

#include <cmath>
#include <nlohmann/json.hpp>

using engine::OpenMode;
using engine::ProjectStore;
using engine::RunStatus;
using engine::StepRecord;

namespace {

constexpr int kMatrices = 3;

engine::RunSpec runSpec(const std::string &name)
{
    engine::RunSpec spec;
    spec.name = name;
    spec.device = "cpu";
    spec.configJson = "{\"lora\": {\"r\": 8}}";
    for (int i = 0; i < kMatrices; ++i)
        spec.matrixNames.push_back("transformer.h." + std::to_string(i) + ".attn.c_attn");
    return spec;
}

// Step s: loss 1/(1+s), dA_norm[i] = s + i/10, delta1 only on even steps.
StepRecord record(std::int64_t step)
{
    StepRecord r;
    r.step = step;
    r.scalars["loss"] = 1.0 / (1.0 + static_cast<double>(step));
    r.scalars["lr_A"] = 2e-4;
    for (int i = 0; i < kMatrices; ++i)
        r.matrices["dA_norm"].push_back(static_cast<float>(step) + static_cast<float>(i) / 10.0f);
    if (step % 2 == 0)
        r.matrices["delta1"] = std::vector<float>(kMatrices, -static_cast<float>(step));
    return r;
}

std::vector<StepRecord> records(std::int64_t from, std::int64_t to)
{
    std::vector<StepRecord> batch;
    for (std::int64_t s = from; s < to; ++s)
        batch.push_back(record(s));
    return batch;
}

} // namespace

class TestProjectStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void createThenReopen()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("p.lorafit")).toStdString();
        std::int64_t runId = 0;
        {
            auto store = ProjectStore::create(path);
            LF_VERIFY_OK(store);
            QVERIFY(!store->isReadOnly());
            auto id = store->createRun(runSpec("first"));
            LF_VERIFY_OK(id);
            runId = id.value();
            LF_VERIFY_OK(store->finishRun(runId, RunStatus::Finished, "{\"loss\": 0.5}"));
        }
        QVERIFY(!QFile::exists(QString::fromStdString(path + ".lock"))); // released on close
        auto store = ProjectStore::open(path);
        LF_VERIFY_OK(store);
        auto run = store->run(runId);
        LF_VERIFY_OK(run);
        QCOMPARE(run->name, std::string("first"));
        QCOMPARE(run->status, RunStatus::Finished);
        QVERIFY(run->endedAtMs.has_value());
        QCOMPARE(run->matrixCount, kMatrices);
        QCOMPARE(nlohmann::json::parse(run->finalMetricsJson)["loss"].get<double>(), 0.5);
        QCOMPARE(store->matrixNames(runId).value()[2], std::string("transformer.h.2.attn.c_attn"));
        QVERIFY(store->interruptedOnOpen().empty());
        LF_VERIFY_FAILS_WITH(ProjectStore::create(path), "already exists");
    }

    void batchedAppendsReadBack()
    {
        QTemporaryDir dir;
        auto store = ProjectStore::create(dir.filePath(QStringLiteral("p.lorafit")).toStdString());
        LF_VERIFY_OK(store);
        const std::int64_t runId = store->createRun(runSpec("r")).value();
        LF_VERIFY_OK(store->appendMetrics(runId, records(0, 6)));
        LF_VERIFY_OK(store->appendMetrics(runId, records(6, 10)));

        auto loss = store->scalarSeries(runId, "loss");
        LF_VERIFY_OK(loss);
        QCOMPARE(loss->steps.size(), std::size_t(10));
        for (std::size_t s = 0; s < 10; ++s) {
            QCOMPARE(loss->steps[s], std::int64_t(s));
            QCOMPARE(loss->values[s], 1.0 / (1.0 + double(s))); // doubles are stored exactly
        }
        QCOMPARE(store->scalarSeries(runId, "loss", 7).value().steps.front(), std::int64_t(7));
        QCOMPARE(store->scalarNames(runId).value(), (std::vector<std::string> { "loss", "lr_A" }));
        QCOMPARE(store->matrixKinds(runId).value(), (std::vector<std::string> { "dA_norm", "delta1" }));
        QCOMPARE(store->run(runId).value().lastStep, std::optional<std::int64_t>(9));

        auto all = store->matrixSeries(runId, "dA_norm");
        LF_VERIFY_OK(all);
        QCOMPARE(all->matrixCount, kMatrices);
        QCOMPARE(all->values.size(), std::size_t(10 * kMatrices));
        for (int s = 0; s < 10; ++s)
            for (int i = 0; i < kMatrices; ++i) // float32 round trip is exact
                QCOMPARE(all->values[s * kMatrices + i], float(s) + float(i) / 10.0f);
        auto one = store->matrixSeries(runId, "dA_norm", 2, 4);
        LF_VERIFY_OK(one);
        QCOMPARE(one->matrixCount, 1);
        QCOMPARE(one->steps, (std::vector<std::int64_t> { 4, 5, 6, 7, 8, 9 }));
        QCOMPARE(one->values[0], 4.0f + 0.2f);
        QCOMPARE(store->matrixSeries(runId, "delta1").value().steps, (std::vector<std::int64_t> { 0, 2, 4, 6, 8 }));
        LF_VERIFY_FAILS_WITH(store->matrixSeries(runId, "dA_norm", kMatrices), "has no matrix 3");
        QVERIFY(store->scalarSeries(runId, "no_such_metric").value().steps.empty());
    }

    void nanAndReplacedSteps()
    {
        QTemporaryDir dir;
        auto store = ProjectStore::create(dir.filePath(QStringLiteral("p.lorafit")).toStdString());
        const std::int64_t runId = store->createRun(runSpec("r")).value();
        StepRecord diverged = record(3);
        diverged.scalars["loss"] = std::nan("");
        LF_VERIFY_OK(store->appendMetrics(runId, { record(0), record(1), record(2), diverged }));
        QVERIFY(std::isnan(store->scalarSeries(runId, "loss").value().values[3]));
        // A resumed run re-logs steps after its checkpoint: the new values replace the old.
        StepRecord again = record(2);
        again.scalars["loss"] = 7.0;
        LF_VERIFY_OK(store->appendMetrics(runId, { again }));
        const auto loss = store->scalarSeries(runId, "loss").value();
        QCOMPARE(loss.steps.size(), std::size_t(4));
        QCOMPARE(loss.values[2], 7.0);
        QCOMPARE(store->run(runId).value().lastStep, std::optional<std::int64_t>(3));
    }

    void failedBatchLeavesNothing()
    {
        QTemporaryDir dir;
        auto store = ProjectStore::create(dir.filePath(QStringLiteral("p.lorafit")).toStdString());
        const std::int64_t runId = store->createRun(runSpec("r")).value();
        LF_VERIFY_OK(store->appendMetrics(runId, records(0, 2)));
        std::vector<StepRecord> batch = records(2, 4);
        batch.back().scalars["new_metric"] = 1.0;
        batch.back().matrices["dB_norm"] = { 1.0f }; // one value, three matrices
        LF_VERIFY_FAILS_WITH(store->appendMetrics(runId, batch), "'dB_norm' has 1 values, but the run has 3");
        QCOMPARE(store->scalarSeries(runId, "loss").value().steps.size(), std::size_t(2));
        QVERIFY(store->scalarNames(runId).value() == (std::vector<std::string> { "loss", "lr_A" }));
        LF_VERIFY_FAILS_WITH(store->appendMetrics(runId + 1, records(0, 1)), "has no run");
        // The store keeps working after the rolled-back batch, new names included.
        batch.back().matrices["dB_norm"] = std::vector<float>(kMatrices, 2.0f);
        LF_VERIFY_OK(store->appendMetrics(runId, batch));
        QCOMPARE(store->scalarSeries(runId, "new_metric").value().values, std::vector<double> { 1.0 });
    }

    void runRecords()
    {
        QTemporaryDir dir;
        auto store = ProjectStore::create(dir.filePath(QStringLiteral("p.lorafit")).toStdString());
        const std::int64_t runId = store->createRun(runSpec("r")).value();
        LF_VERIFY_OK(store->addEvalResult(runId, { 10, "eval", 2.5, "{\"perplexity\": 12.2}", 0 }));
        LF_VERIFY_OK(store->addCheckpoint(
            runId, { 10, dir.filePath(QStringLiteral("ckpt/10")).toStdString(), 1234, "sha256:ab", 0 }));
        LF_VERIFY_OK(store->addCheckpoint(
            runId, { 20, dir.filePath(QStringLiteral("ckpt/20")).toStdString(), 99, "sha256:cd", 0 }));
        LF_VERIFY_OK(store->setRunNotes(runId, "warmup too short"));
        LF_VERIFY_OK(store->renameRun(runId, "LoRA+ lr 2e-4"));
        QCOMPARE(store->run(runId)->name, std::string("LoRA+ lr 2e-4"));
        LF_VERIFY_FAILS_WITH(store->renameRun(runId, "  "), "must not be empty");
        LF_VERIFY_FAILS_WITH(store->renameRun(runId + 1, "x"), "has no run");
        const auto evals = store->evalResults(runId).value();
        QCOMPARE(evals.size(), std::size_t(1));
        QCOMPARE(evals[0].loss, 2.5);
        QVERIFY(evals[0].createdAtMs > 0);
        const auto last = store->lastCheckpoint(runId).value();
        QVERIFY(last.has_value());
        QCOMPARE(last->step, std::int64_t(20));
        QCOMPARE(last->hash, std::string("sha256:cd"));
        QCOMPARE(QString::fromStdString(last->path), dir.filePath(QStringLiteral("ckpt/20")));
        QCOMPARE(store->run(runId).value().notes, std::string("warmup too short"));
        LF_VERIFY_FAILS_WITH(store->finishRun(runId, RunStatus::Running), "not running");
        LF_VERIFY_FAILS_WITH(store->finishRun(runId, RunStatus::Finished, "[1]"), "must be a JSON object");
        LF_VERIFY_FAILS_WITH(store->createRun([] {
            auto s = runSpec("bad");
            s.configJson = "{";
            return s;
        }()),
            "is not valid JSON");
        const auto exportId
            = store->addExport({ 0, runId, "peft", dir.filePath(QStringLiteral("out")).toStdString(), 0 });
        LF_VERIFY_OK(exportId);
        LF_VERIFY_OK(store->deleteRun(runId));
        QVERIFY(store->runs().value().empty());
        LF_VERIFY_FAILS_WITH(store->checkpoints(runId), "has no run");
        const auto exports = store->exports().value(); // the export outlives its run
        QCOMPARE(exports.size(), std::size_t(1));
        QVERIFY(!exports[0].runId.has_value());
        QCOMPARE(
            rawText(dir.filePath(QStringLiteral("p.lorafit")), "SELECT COUNT(*) FROM matrix_metric"), std::string("0"));
    }

    void settingsSectionsAndDocuments()
    {
        QTemporaryDir dir;
        auto store = ProjectStore::create(dir.filePath(QStringLiteral("p.lorafit")).toStdString());
        LF_VERIFY_OK(store->setSettingsSection({ "lora", 2, "{\"r\": 16, \"alpha\": 32}" }));
        LF_VERIFY_FAILS_WITH(store->setSettingsSection({ "lora", 1, "[]" }), "must be a JSON object");
        LF_VERIFY_FAILS_WITH(store->setSettingsSection({ "lorra", 1, "{}" }), "unknown settings section 'lorra'");
        auto document = store->exportSettingsJson();
        LF_VERIFY_OK(document);
        const auto parsed = nlohmann::json::parse(document.value());
        QCOMPARE(parsed["sections"]["lora"]["version"].get<int>(), 2);
        QCOMPARE(parsed["sections"]["lora"]["values"]["alpha"].get<int>(), 32);

        auto other = ProjectStore::create(dir.filePath(QStringLiteral("q.lorafit")).toStdString());
        LF_VERIFY_OK(other->importSettingsJson(document.value(), "s.json"));
        QCOMPARE(other->settingsSection("lora").value()->json, std::string("{\"alpha\":32,\"r\":16}"));
        QVERIFY(!other->settingsSection("model").value().has_value());

        const char *badValues
            = "{\"lorafit_settings\": 1, \"sections\": {\"model\": {\"version\": 1, \"values\": {}},\n"
              "                                     \"optimizer\": {\"version\": 1, \"values\": 3}}}";
        LF_VERIFY_FAILS_WITH(other->importSettingsJson(badValues, "s.json"),
            "'s.json': field 'sections.optimizer.values' must be a JSON object");
        QVERIFY(!other->settingsSection("model").value().has_value()); // nothing imported from a bad file
        LF_VERIFY_FAILS_WITH(
            other->importSettingsJson("{\"lorafit_settings\": 1, \"sections\": {\"lora\": {\"version\": 0,\n"
                                      "                                                       \"values\": {}}}}",
                "s.json"),
            "field 'sections.lora.version' must be an integer >= 1");
        LF_VERIFY_FAILS_WITH(other->importSettingsJson("{\"sections\": {}}", "s.json"), "field 'lorafit_settings'");
        LF_VERIFY_FAILS_WITH(
            other->importSettingsJson("{\"lorafit_settings\": 1,", "s.json"), "'s.json' is not valid JSON");
    }

    void pathsStayRelativeWhenTheFolderMoves()
    {
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("proj")));
        const QString outside = dir.filePath(QStringLiteral("data/train.jsonl"));
        const QString project = dir.filePath(QStringLiteral("proj/p.lorafit"));
        {
            auto store = ProjectStore::create(project.toStdString());
            LF_VERIFY_OK(store);
            const std::string model = "{\"path\": \"" + dir.filePath(QStringLiteral("proj/models/gpt2")).toStdString()
                + "\", \"dtype\": \"f32\"}";
            LF_VERIFY_OK(store->setSettingsSection({ "model", 1, model }));
            const std::string dataset = "{\"files\": {\"train_path\": \"" + outside.toStdString()
                + "\", \"eval_paths\": [\"local/eval.jsonl\"]}}";
            LF_VERIFY_OK(store->setSettingsSection({ "dataset", 1, dataset }));
            const std::int64_t runId = store->createRun(runSpec("r")).value();
            LF_VERIFY_OK(store->addCheckpoint(
                runId, { 5, dir.filePath(QStringLiteral("proj/runs/1/step-5")).toStdString(), 1, "h", 0 }));
        }
        QCOMPARE(rawText(project, "SELECT path FROM checkpoint"), std::string("runs/1/step-5"));
        QCOMPARE(rawText(project, "SELECT json FROM settings_section WHERE name = 'model'"),
            std::string("{\"dtype\":\"f32\",\"path\":\"models/gpt2\"}"));

        QVERIFY(QDir(dir.path()).rename(QStringLiteral("proj"), QStringLiteral("moved")));
        auto store = ProjectStore::open(dir.filePath(QStringLiteral("moved/p.lorafit")).toStdString());
        LF_VERIFY_OK(store);
        const auto model = nlohmann::json::parse(store->settingsSection("model").value()->json);
        QCOMPARE(QString::fromStdString(model["path"].get<std::string>()),
            dir.filePath(QStringLiteral("moved/models/gpt2")));
        const auto dataset = nlohmann::json::parse(store->settingsSection("dataset").value()->json);
        QCOMPARE(QString::fromStdString(dataset["files"]["train_path"].get<std::string>()), outside);
        QCOMPARE(QString::fromStdString(dataset["files"]["eval_paths"][0].get<std::string>()),
            dir.filePath(QStringLiteral("moved/local/eval.jsonl")));
        const auto checkpoint = store->lastCheckpoint(store->runs().value()[0].id).value();
        QCOMPARE(QString::fromStdString(checkpoint->path), dir.filePath(QStringLiteral("moved/runs/1/step-5")));
    }

    void migratesAVersion1FileKeepingItsData()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("old.lorafit"));
        engine::createProjectFile(path.toStdString(), 1);
        {
            engine::SqliteDatabase db(path.toStdString(), engine::SqliteDatabase::Access::ReadWrite);
            QCOMPARE(db.queryInteger("PRAGMA user_version"), std::int64_t(1));
            db.exec("INSERT INTO settings_section VALUES ('lora', 1, '{\"r\":4}', 1000);"
                    "INSERT INTO run(id, name, status, started_at, ended_at, device, config_json, final_metrics_json)"
                    "    VALUES (1, 'v1 run', 'finished', 1000, 2000, 'cpu', '{}', '{\"loss\":1.5}');"
                    "INSERT INTO metric_name VALUES (1, 'loss');"
                    "INSERT INTO scalar_metric VALUES (1, 1, 0, 3.0), (1, 1, 1, 2.0), (1, 1, 2, 1.5);"
                    "INSERT INTO checkpoint VALUES (1, 2, 'ckpt/2', 10, 'sha256:00', 2000);");
        }
        {
            auto store = ProjectStore::open(path.toStdString());
            LF_VERIFY_OK(store);
            const auto run = store->run(1).value();
            QCOMPARE(run.name, std::string("v1 run"));
            QCOMPARE(run.status, RunStatus::Finished);
            QCOMPARE(run.lastStep, std::optional<std::int64_t>(2)); // from the migrated metric rows
            QCOMPARE(run.notes, std::string());
            QCOMPARE(store->scalarSeries(1, "loss").value().values, (std::vector<double> { 3.0, 2.0, 1.5 }));
            QCOMPARE(store->settingsSection("lora").value()->json, std::string("{\"r\":4}"));
            QCOMPARE(store->lastCheckpoint(1).value()->step, std::int64_t(2));
            LF_VERIFY_OK(store->addEvalResult(1, { 2, "eval", 1.7, "{}", 0 })); // a version-2 table
        }
        QCOMPARE(rawText(path, "PRAGMA user_version"), std::to_string(engine::kProjectSchemaVersion));
    }
};

QTEST_GUILESS_MAIN(TestProjectStore)
#include "test_projectstore.moc"

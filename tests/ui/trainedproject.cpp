#include "tests/ui/trainedproject.h"

#include "tests/engine/model/tinymodel.h"
#include "tests/ui/guitestdata.h"

#include "engine/project/projectstore.h"
#include "engine/train/trainer.h"

#include <QDir>
#include <QFile>

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace guitest {

namespace {

void check(const engine::Status &status)
{
    if (!status)
        throw std::runtime_error(status.message());
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw std::runtime_error("cannot read " + path.toStdString());
    return file.readAll();
}

void writeAll(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        throw std::runtime_error("cannot write " + path.toStdString());
}

} // namespace

TrainedProject writeTrainedProject(const QString &dir)
{
    TrainedProject project;
    project.modelFolder = writeTinyModel(QDir(dir).filePath(QStringLiteral("tiny-gpt2")));
    engine::RunSettings settings;
    settings.modelPath = project.modelFolder.toStdString();
    settings.dataset.trainPath = writePromptCompletion(QDir(dir).filePath(QStringLiteral("animals.jsonl")), 40).toStdString();
    settings.dataset.validationFraction = 0.2;
    settings.dataset.maxLength = 64;
    settings.lora.targetModules = {"attn.c_attn", "mlp.c_fc"};
    settings.training.maxSteps = 4;
    settings.training.batchSize = 2;
    settings.training.evalEvery = 2;
    settings.training.checkpointEvery = 2;
    settings.training.threads = 1;

    project.projectFile = QDir(dir).filePath(QStringLiteral("trained.lorafit"));
    auto store = engine::ProjectStore::create(project.projectFile.toStdString());
    if (!store)
        throw std::runtime_error(store.message());
    check(store->importSettingsJson(settings.toDocument(), "test settings"));
    engine::RunSpec spec;
    spec.name = "tiny run";
    spec.device = "cpu";
    const auto runId = store->createRun(spec);
    if (!runId)
        throw std::runtime_error(runId.message());

    std::vector<engine::CheckpointRecord> checkpoints;
    engine::TrainerCallbacks callbacks;
    callbacks.checkpointSaved = [&](const engine::CheckpointRecord &record) { checkpoints.push_back(record); };
    engine::TrainingControl control;
    engine::TrainOptions options;
    options.outputFolder = QDir(dir).filePath(QStringLiteral("run-1")).toStdString();
    const auto outcome = engine::Trainer::run(settings, options, callbacks, control);
    if (!outcome)
        throw std::runtime_error(outcome.message());
    for (const engine::CheckpointRecord &record : checkpoints) {
        engine::CheckpointInfo info;
        info.step = record.step;
        info.path = record.path;
        info.sizeBytes = record.sizeBytes;
        info.hash = record.hash;
        check(store->addCheckpoint(runId.value(), info));
        engine::EvalResult eval;
        eval.step = record.step;
        eval.loss = record.evalLoss;
        check(store->addEvalResult(runId.value(), eval));
        project.evalLossAtStep[record.step] = record.evalLoss;
        project.checkpointAtStep[record.step] = QString::fromStdString(record.path);
    }
    check(store->finishRun(runId.value(), engine::RunStatus::Finished));
    if (project.checkpointAtStep.size() != 2)
        throw std::runtime_error("expected checkpoints at steps 2 and 4, got " + std::to_string(project.checkpointAtStep.size()));
    return project;
}

QString writeEndlessModel(const QString &dir)
{
    writeTinyModel(dir);
    // No eos anywhere: the added token is renamed (GPT-2's fallback looks for
    // <|endoftext|>), tokenizer_config.json names none, config.json has no eos_token_id.
    const QString tokenizerPath = QDir(dir).filePath(QStringLiteral("tokenizer.json"));
    writeAll(tokenizerPath, readAll(tokenizerPath).replace("<|endoftext|>", "<|pad|>"));
    writeAll(QDir(dir).filePath(QStringLiteral("tokenizer_config.json")), R"({"model_max_length": 4096})");
    nlohmann::json config = nlohmann::json::parse(tiny::configJson(
        "gpt2", nlohmann::json{{"vocab_size", 257}, {"n_positions", 4096}, {"n_layer", 2}}.dump()));
    config.erase("eos_token_id");
    config.erase("bos_token_id");
    tiny::writeModel(dir, config.dump(), tiny::randomWeights(config.dump(), 5));
    return dir;
}

} // namespace guitest

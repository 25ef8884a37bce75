#include "ui/export/verificationbatches.h"

#include "engine/data/chattemplatedetector.h"
#include "engine/data/dataloader.h"
#include "engine/tokenizer/tokenizerloader.h"
#include "engine/train/runsettings.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace ui {

namespace {

engine::Result<engine::RunSettings> checkpointSettings(const std::string &checkpointFolder)
{
    const QString path = QDir(QString::fromStdString(checkpointFolder)).filePath(QStringLiteral("trainer_state.json"));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return engine::Status::failure(path.toStdString() + ": cannot read (hint: verification needs a Lorafit checkpoint folder)");
    const QJsonObject state = QJsonDocument::fromJson(file.readAll()).object();
    if (!state.value(QStringLiteral("settings")).isObject())
        return engine::Status::failure(path.toStdString() + ": settings: missing (hint: the checkpoint was not written by Lorafit's trainer)");
    const QByteArray document = QJsonDocument(state.value(QStringLiteral("settings")).toObject()).toJson(QJsonDocument::Compact);
    return engine::RunSettings::fromDocument(document.toStdString(), path.toStdString(), checkpointFolder);
}

} // namespace

engine::Result<VerificationBatches> verificationBatches(const std::string &checkpointFolder,
                                                        const std::string &baseModelFolder, int examples)
{
    auto settings = checkpointSettings(checkpointFolder);
    if (!settings)
        return settings.status();
    engine::data::DatasetConfig config = settings->dataset;
    config.packing = false; // the verifier needs one example per row
    const auto tokenizer = engine::loadTokenizer(baseModelFolder);
    if (!tokenizer)
        return tokenizer.status();
    const auto detected = engine::data::detectModelChatTemplate(baseModelFolder);
    const auto loader = engine::data::DataLoader::open(config, *tokenizer.value(), detected ? &detected.value() : nullptr);
    if (!loader)
        return loader.status();
    const engine::data::DataLoader &data = *loader.value();
    VerificationBatches result;
    const std::int64_t validation = data.validationBatchCount(1);
    if (validation > 0) {
        for (std::int64_t i = 0; i < std::min<std::int64_t>(validation, examples); ++i)
            result.batches.push_back(data.validationBatch(i, 1));
        result.description = std::to_string(result.batches.size()) + " validation examples";
    } else {
        for (int i = 0; i < examples && i < data.sequencesPerEpoch(); ++i)
            result.batches.push_back(loader.value()->nextBatch(1));
        result.description = std::to_string(result.batches.size()) + " training examples (the run has no validation split)";
    }
    if (result.batches.empty())
        return engine::Status::failure("the dataset of " + checkpointFolder + " has no examples to verify on (hint: check the run's dataset path)");
    return result;
}

} // namespace ui

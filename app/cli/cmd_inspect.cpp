// lorafit-cli inspect DIR: what a Hugging Face model folder holds (architecture,
// sizes, parameters, dtype, projections, tokenizer and chat template) and an
// estimate of the memory LoRA training would need. --json for scripts.
#include "app/cli/command.h"

#include "app/qtstrings.h"
#include "engine/model/modelconfig.h"
#include "engine/model/modelinfo.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace {

using app::fromStd;

struct EstimateSettings
{
    qint64 batch = 1;
    qint64 seqLength = 512;
    qint64 rank = 16;
    QString dtype = QStringLiteral("f32");
};

QString bytesText(std::uint64_t bytes)
{
    const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
    return mib >= 1024.0 ? QStringLiteral("%1 GiB").arg(mib / 1024.0, 0, 'f', 2)
                         : QStringLiteral("%1 MiB").arg(mib, 0, 'f', 1);
}

QString yesNo(bool value)
{
    return value ? QStringLiteral("yes") : QStringLiteral("no");
}

QJsonObject toJson(const engine::ModelInfo &info, const engine::MemoryEstimate &m, const EstimateSettings &s)
{
    QJsonArray linears;
    for (const std::string &name : info.linearNames)
        linears.append(fromStd(name));
    QJsonArray files;
    for (const std::string &name : info.weightFiles)
        files.append(fromStd(name));
    return QJsonObject { { "folder", fromStd(info.folder) }, { "architecture", fromStd(info.architecture) },
        { "model_type", fromStd(info.modelType) }, { "layers", qint64(info.layers) },
        { "hidden_size", qint64(info.hiddenSize) }, { "heads", qint64(info.heads) },
        { "kv_heads", qint64(info.kvHeads) }, { "head_dim", qint64(info.headDim) },
        { "intermediate_size", qint64(info.intermediateSize) }, { "vocab_size", qint64(info.vocabSize) },
        { "max_positions", qint64(info.maxPositions) }, { "tied_embeddings", info.tiedEmbeddings },
        { "parameters", qint64(info.parameterCount) }, { "stored_dtype", fromStd(info.storedDtype) },
        { "weight_bytes", qint64(info.weightBytes) }, { "weight_files", files }, { "linear_modules", linears },
        { "tokenizer_json", info.hasTokenizerJson }, { "tokenizer_config", info.hasTokenizerConfig },
        { "chat_template", info.hasChatTemplate ? QJsonValue(fromStd(info.chatTemplateSource)) : QJsonValue() },
        { "training_memory_estimate",
            QJsonObject { { "batch", s.batch }, { "seq_length", s.seqLength }, { "rank", s.rank }, { "dtype", s.dtype },
                { "base_weight_bytes", qint64(m.baseWeightBytes) }, { "lora_parameters", qint64(m.loraParameters) },
                { "lora_state_bytes", qint64(m.loraStateBytes) }, { "activation_bytes", qint64(m.activationBytes) },
                { "total_bytes", qint64(m.totalBytes) } } } };
}

void printText(const engine::ModelInfo &info, const engine::MemoryEstimate &m, const EstimateSettings &s)
{
    auto line = [](const QString &label, const QString &value) {
        cli::printLine(QStringLiteral("%1 %2").arg(label + QLatin1Char(':'), -20).arg(value));
    };
    line(QStringLiteral("Folder"), fromStd(info.folder));
    line(QStringLiteral("Architecture"),
        QStringLiteral("%1 (model_type %2)").arg(fromStd(info.architecture), fromStd(info.modelType)));
    line(QStringLiteral("Layers"), QString::number(info.layers));
    line(QStringLiteral("Hidden size"), QString::number(info.hiddenSize));
    line(QStringLiteral("Attention heads"),
        QStringLiteral("%1 query, %2 key/value, head_dim %3").arg(info.heads).arg(info.kvHeads).arg(info.headDim));
    line(QStringLiteral("MLP width"), QString::number(info.intermediateSize));
    line(QStringLiteral("Vocabulary"), QString::number(info.vocabSize));
    line(QStringLiteral("Max positions"), QString::number(info.maxPositions));
    line(QStringLiteral("Tied embeddings"), yesNo(info.tiedEmbeddings));
    line(QStringLiteral("Parameters"),
        QStringLiteral("%1 (%2 M)")
            .arg(info.parameterCount)
            .arg(static_cast<double>(info.parameterCount) / 1e6, 0, 'f', 1));
    line(QStringLiteral("Stored dtype"), fromStd(info.storedDtype));
    line(QStringLiteral("Weights"),
        QStringLiteral("%1 in %2 file(s)").arg(bytesText(info.weightBytes)).arg(info.weightFiles.size()));
    QStringList linears;
    for (const std::string &name : info.linearNames)
        linears << fromStd(name);
    line(QStringLiteral("Linear modules"), linears.join(QStringLiteral(", ")));
    line(QStringLiteral("tokenizer.json"), yesNo(info.hasTokenizerJson));
    line(QStringLiteral("tokenizer_config"), yesNo(info.hasTokenizerConfig));
    line(QStringLiteral("Chat template"), info.hasChatTemplate ? fromStd(info.chatTemplateSource) : yesNo(false));
    line(QStringLiteral("Training memory"),
        QStringLiteral("~%1 for LoRA rank %2, batch %3 x %4 tokens, %5 (weights %6, LoRA state %7, activations %8)")
            .arg(bytesText(m.totalBytes))
            .arg(s.rank)
            .arg(s.batch)
            .arg(s.seqLength)
            .arg(s.dtype)
            .arg(bytesText(m.baseWeightBytes), bytesText(m.loraStateBytes), bytesText(m.activationBytes)));
}

bool readPositive(const QCommandLineParser &parser, const QString &name, qint64 &value)
{
    if (!parser.isSet(name))
        return true;
    bool ok = false;
    value = parser.value(name).toLongLong(&ok);
    return ok && value > 0;
}

int runInspect(const QStringList &arguments)
{
    QCommandLineParser parser;
    QString types;
    for (const std::string &type : engine::supportedModelTypes())
        types += (types.isEmpty() ? QString() : QStringLiteral(", ")) + fromStd(type);
    parser.setApplicationDescription(
        QStringLiteral("Describe a Hugging Face model folder and estimate training memory.\nSupported model types: ")
        + types + QStringLiteral(" (gemma3: the text model; the vision tower is ignored)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("DIR"), QStringLiteral("Model folder (config.json + safetensors)."));
    parser.addOption({ QStringLiteral("json"), QStringLiteral("Print JSON instead of text.") });
    parser.addOption(
        { QStringLiteral("batch"), QStringLiteral("Batch size for the estimate (1)."), QStringLiteral("N") });
    parser.addOption(
        { QStringLiteral("seq"), QStringLiteral("Sequence length for the estimate (512)."), QStringLiteral("N") });
    parser.addOption(
        { QStringLiteral("rank"), QStringLiteral("LoRA rank for the estimate (16)."), QStringLiteral("N") });
    parser.addOption(
        { QStringLiteral("dtype"), QStringLiteral("Activation dtype: f32, bf16 or f16 (f32)."), QStringLiteral("T") });
    if (const std::optional<int> code = cli::parseArguments(parser, arguments))
        return *code;
    if (parser.positionalArguments().size() != 1) {
        cli::fail(QStringLiteral("inspect needs exactly one model folder (usage: lorafit-cli inspect DIR [--json])"));
        return cli::kExitUsage;
    }
    EstimateSettings settings;
    if (!readPositive(parser, QStringLiteral("batch"), settings.batch)
        || !readPositive(parser, QStringLiteral("seq"), settings.seqLength)
        || !readPositive(parser, QStringLiteral("rank"), settings.rank)) {
        cli::fail(QStringLiteral("--batch, --seq and --rank take positive integers"));
        return cli::kExitUsage;
    }
    if (parser.isSet(QStringLiteral("dtype")))
        settings.dtype = parser.value(QStringLiteral("dtype"));
    if (settings.dtype != QLatin1String("f32") && settings.dtype != QLatin1String("bf16")
        && settings.dtype != QLatin1String("f16")) {
        cli::fail(QStringLiteral("--dtype must be f32, bf16 or f16, not '%1'").arg(settings.dtype));
        return cli::kExitUsage;
    }
    const auto info = engine::inspectModel(parser.positionalArguments().front().toStdString());
    if (!info)
        return cli::fail(fromStd(info.message()));
    const engine::MemoryEstimate memory = engine::estimateTrainingMemory(
        info.value(), settings.batch, settings.seqLength, settings.rank, settings.dtype.toStdString());
    if (parser.isSet(QStringLiteral("json")))
        cli::printLine(
            QString::fromUtf8(QJsonDocument(toJson(info.value(), memory, settings)).toJson(QJsonDocument::Indented))
                .trimmed());
    else
        printText(info.value(), memory, settings);
    return cli::kExitOk;
}

const cli::CommandRegistration registration(
    { "inspect", "describe a model folder and estimate training memory", runInspect });

} // namespace

// lorafit-cli export CHECKPOINT_DIR --format peft|merged|gguf|gguf-model --out DIR:
// writes a trained adapter (a checkpoint folder, any PEFT adapter folder, or
// a project run's best checkpoint) as a PEFT folder, a merged model, a GGUF
// LoRA adapter or a whole GGUF model (+ Ollama Modelfile, whose `ollama
// create` command is printed), with progress on stderr, Ctrl-C to cancel, and --verify to
// load the written files back and compare their loss with the checkpoint's.
#include "app/cli/command.h"

#include "app/qtstrings.h"

#include "engine/export/adapterverifier.h"
#include "engine/export/checkpointsource.h"
#include "engine/export/exportjob.h"
#include "engine/model/modelconfig.h"
#include "engine/project/projectstore.h"

#include <QCommandLineParser>
#include <QFile>
#include <QFileInfo>

#include <atomic>
#include <optional>
#include <csignal>
#include <cstdio>
#include <random>

namespace {

using app::fromStd;

std::atomic<bool> g_cancel{false};

void onInterrupt(int)
{
    g_cancel.store(true);
}

QString sizeText(std::uint64_t bytes)
{
    const double kib = static_cast<double>(bytes) / 1024.0;
    if (kib < 1024.0)
        return QStringLiteral("%1 KiB").arg(kib, 0, 'f', 1);
    const double mib = kib / 1024.0;
    return mib < 1024.0 ? QStringLiteral("%1 MiB").arg(mib, 0, 'f', 1) : QStringLiteral("%1 GiB").arg(mib / 1024.0, 0, 'f', 2);
}

// "5GB", "500MB", "1.5GiB", or bytes.
bool parseSize(const QString &text, std::uint64_t &bytes)
{
    static const std::vector<std::pair<QString, double>> units = {
        {QStringLiteral("GIB"), 1073741824.0}, {QStringLiteral("MIB"), 1048576.0}, {QStringLiteral("KIB"), 1024.0},
        {QStringLiteral("GB"), 1e9}, {QStringLiteral("MB"), 1e6}, {QStringLiteral("KB"), 1e3}, {QStringLiteral("B"), 1.0}};
    QString upper = text.trimmed().toUpper();
    double factor = 1.0;
    for (const auto &[unit, value] : units)
        if (upper.endsWith(unit)) {
            upper.chop(unit.size());
            factor = value;
            break;
        }
    bool ok = false;
    const double number = upper.trimmed().toDouble(&ok);
    if (!ok || number <= 0)
        return false;
    bytes = static_cast<std::uint64_t>(number * factor);
    return true;
}

QStringList formatList(const QStringList &values)
{
    QStringList formats;
    for (const QString &value : values)
        for (const QString &part : value.split(QLatin1Char(','), Qt::SkipEmptyParts))
            formats.append(part.trimmed().toLower());
    return formats;
}

// Deterministic pseudo-random token rows: enough to compare two copies of one model.
std::vector<engine::data::Batch> probeBatches(std::int64_t vocabSize)
{
    engine::data::Batch batch;
    batch.rows = 2;
    batch.columns = 16;
    std::mt19937 random(1234);
    std::uniform_int_distribution<std::int64_t> token(0, vocabSize - 1);
    for (int i = 0; i < batch.rows * batch.columns; ++i) {
        batch.inputIds.push_back(static_cast<engine::TokenId>(token(random)));
        batch.labels.push_back(batch.inputIds.back());
    }
    return {batch};
}

struct Options
{
    engine::ExportRequest request;
    bool verify = false;
    std::string projectFile; // --project: the export is recorded there
    std::int64_t runId = 0;
};

int parse(const QStringList &arguments, Options &options)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Export a trained LoRA adapter as a PEFT folder, a merged model, a GGUF LoRA adapter for llama.cpp, or a "
        "whole GGUF model for llama.cpp, Ollama and LM Studio."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("CHECKPOINT_DIR"),
                                 QStringLiteral("A checkpoint folder or any PEFT adapter folder."));
    parser.addOptions({
        {{QStringLiteral("f"), QStringLiteral("format")}, QStringLiteral("peft, merged, gguf (LoRA adapter) or gguf-model (whole model + Ollama Modelfile); repeat or comma-separate for several."), QStringLiteral("FORMAT")},
        {{QStringLiteral("o"), QStringLiteral("out")}, QStringLiteral("Destination folder (one sub-folder per format when several)."), QStringLiteral("DIR")},
        {QStringLiteral("dtype"), QStringLiteral("f32, f16, bf16 or q8_0 (GGUF). Default: peft f32, merged and gguf-model the base's dtype, gguf f32."), QStringLiteral("TYPE")},
        {QStringLiteral("model"), QStringLiteral("Base model folder (default: from adapter_config.json or trainer_state.json)."), QStringLiteral("DIR")},
        {QStringLiteral("project"), QStringLiteral("Project file; with --run, export that run's best checkpoint."), QStringLiteral("FILE")},
        {QStringLiteral("run"), QStringLiteral("Run id in --project."), QStringLiteral("ID")},
        {QStringLiteral("overwrite"), QStringLiteral("Write into a non-empty destination (stale weight files are removed).")},
        {QStringLiteral("max-shard-size"), QStringLiteral("Merged model: shard size limit, e.g. 2GB (default 5GB)."), QStringLiteral("SIZE")},
        {QStringLiteral("chat-template"), QStringLiteral("Merged and GGUF model: Jinja chat template to add when the base has none."), QStringLiteral("FILE")},
        {QStringLiteral("base-name"), QStringLiteral("base_model_name_or_path to write (e.g. a hub id)."), QStringLiteral("NAME")},
        {QStringLiteral("base-only"), QStringLiteral("gguf-model: write the base model without the adapter (run it with the gguf adapter: ADAPTER in the Modelfile).")},
        {QStringLiteral("verify"), QStringLiteral("Load the written files back and compare their loss with the checkpoint's.")},
    });
    if (const std::optional<int> code = cli::parseArguments(parser, arguments))
        return *code;
    engine::ExportRequest &r = options.request;
    const QStringList positional = parser.positionalArguments();
    if (parser.isSet(QStringLiteral("project")) != parser.isSet(QStringLiteral("run")))
        return cli::fail(QStringLiteral("--project and --run go together (hint: --project FILE.lorafit --run ID)"));
    if (parser.isSet(QStringLiteral("project"))) {
        bool ok = false;
        const qint64 run = parser.value(QStringLiteral("run")).toLongLong(&ok);
        if (!ok || !positional.isEmpty())
            return cli::fail(QStringLiteral("--run needs a run id and no CHECKPOINT_DIR (hint: lorafit-cli project show FILE lists the runs)"));
        const auto checkpoint = engine::projectRunCheckpoint(parser.value(QStringLiteral("project")).toStdString(), run);
        if (!checkpoint)
            return cli::fail(fromStd(checkpoint.message()));
        r.checkpointFolder = checkpoint.value();
        options.projectFile = parser.value(QStringLiteral("project")).toStdString();
        options.runId = run;
    } else if (positional.size() == 1) {
        r.checkpointFolder = positional.front().toStdString();
    } else {
        return cli::fail(QStringLiteral("expected one CHECKPOINT_DIR (hint: lorafit-cli export checkpoint-500 --format peft --out DIR)"));
    }
    for (const QString &format : formatList(parser.values(QStringLiteral("format"))))
        r.formats.push_back(format.toStdString());
    if (r.formats.empty() || !parser.isSet(QStringLiteral("out")))
        return cli::fail(QStringLiteral("--format and --out are required (hint: --format peft|merged|gguf|gguf-model --out DIR)"));
    r.outDir = parser.value(QStringLiteral("out")).toStdString();
    if (parser.isSet(QStringLiteral("dtype"))) {
        const auto dtype = engine::parseTensorDtype(parser.value(QStringLiteral("dtype")).toStdString());
        if (!dtype)
            return cli::fail(QStringLiteral("--dtype: ") + fromStd(dtype.message()));
        r.dtype = dtype.value();
    }
    r.baseModelFolder = parser.value(QStringLiteral("model")).toStdString();
    r.overwrite = parser.isSet(QStringLiteral("overwrite"));
    r.mergeAdapter = !parser.isSet(QStringLiteral("base-only"));
    r.baseModelName = parser.value(QStringLiteral("base-name")).toStdString();
    if (parser.isSet(QStringLiteral("max-shard-size")) && !parseSize(parser.value(QStringLiteral("max-shard-size")), r.maxShardBytes))
        return cli::fail(QStringLiteral("--max-shard-size: '%1' is not a size (hint: e.g. 2GB or 500MB)").arg(parser.value(QStringLiteral("max-shard-size"))));
    if (parser.isSet(QStringLiteral("chat-template"))) {
        QFile file(parser.value(QStringLiteral("chat-template")));
        if (!file.open(QIODevice::ReadOnly))
            return cli::fail(QStringLiteral("--chat-template: cannot read '%1'").arg(file.fileName()));
        r.chatTemplate = file.readAll().toStdString();
    }
    options.verify = parser.isSet(QStringLiteral("verify"));
    return cli::kExitOk;
}

// Loss of every written export against the checkpoint on the same probe tokens.
int verify(const engine::ExportRequest &request, const engine::ExportSummary &summary)
{
    const auto config = engine::readModelConfig(summary.baseModelFolder);
    if (!config)
        return cli::fail(QStringLiteral("verify: ") + fromStd(config.message()));
    const auto batches = probeBatches(config->vocabSize);
    const auto reference = engine::adapterLoss(summary.baseModelFolder, request.checkpointFolder, batches);
    if (!reference)
        return cli::fail(QStringLiteral("verify: ") + fromStd(reference.message()));
    int failures = 0;
    std::optional<engine::Result<engine::LossReport>> baseReference; // for a GGUF model of the base alone
    for (const engine::ExportedFile &file : summary.files) {
        const auto loss = engine::exportedFileLoss(summary.baseModelFolder, file.path, batches);
        if (!loss)
            continue;
        const QString root = fromStd(engine::exportedRoot(file.path));
        if (!*loss)
            return cli::fail(QStringLiteral("verify %1: %2").arg(root, fromStd(loss->message())));
        const bool baseAlone = !request.mergeAdapter && engine::isGgufModelFile(file.path);
        if (baseAlone && !baseReference)
            baseReference = engine::modelLoss(summary.baseModelFolder, batches);
        if (baseAlone && !*baseReference)
            return cli::fail(QStringLiteral("verify: ") + fromStd(baseReference->message()));
        const double expected = baseAlone ? baseReference->value().meanLoss : reference->meanLoss;
        const double tolerance = engine::exportLossTolerance(file.dtype);
        const bool agree = engine::lossesAgree(loss->value().meanLoss, expected, tolerance);
        failures += agree ? 0 : 1;
        cli::printLine(QStringLiteral("verify %1: loss %2 vs %3 %4 (Lorafit's reload, tolerance %5 relative): %6")
                           .arg(root).arg(loss->value().meanLoss, 0, 'g', 8)
                           .arg(baseAlone ? QStringLiteral("base model") : QStringLiteral("checkpoint"))
                           .arg(expected, 0, 'g', 8).arg(tolerance)
                           .arg(agree ? QStringLiteral("ok") : QStringLiteral("MISMATCH")));
    }
    return failures ? cli::fail(QStringLiteral("verification failed for %1 export(s)").arg(failures)) : cli::kExitOk;
}

// Adds one export record per format to the project (a warning if the project is busy).
void recordInProject(const Options &options)
{
    auto store = engine::ProjectStore::open(options.projectFile);
    for (const std::string &format : options.request.formats) {
        engine::ExportInfo info;
        info.runId = options.runId;
        info.format = format;
        info.path = QFileInfo(fromStd(engine::exportFolder(options.request, format))).absoluteFilePath().toStdString();
        const auto added = store ? store->addExport(info) : engine::Result<std::int64_t>(store.status());
        if (!added)
            std::fprintf(stderr, "lorafit-cli: warning: the export was not recorded in the project: %s\n",
                         added.message().c_str());
    }
}

int runExport(const QStringList &arguments)
{
    Options options;
    if (const int code = parse(arguments, options); code != cli::kExitOk)
        return code;
    engine::ExportRequest &request = options.request;
    const auto source = engine::readCheckpointSource(request.checkpointFolder);
    if (!source)
        return cli::fail(fromStd(source.message()));
    request.card = source->card;
    request.conversational = source->conversational;
    request.systemPrompt = source->systemPrompt;

    std::signal(SIGINT, onInterrupt);
    int lastPercent = -1;
    auto progress = [&](const engine::ExportProgress &p) {
        const int percent = static_cast<int>(p.fraction * 100.0);
        if (percent != lastPercent) {
            std::fprintf(stderr, "[%3d%%] %s%s%s\n", percent, p.format.c_str(), p.format.empty() ? "" : ": ", p.stage.c_str());
            lastPercent = percent;
        }
        return true;
    };
    const auto summary = engine::runExport(request, progress, &g_cancel);
    std::signal(SIGINT, SIG_DFL);
    if (!summary)
        return cli::fail(fromStd(summary.message()));
    if (summary->cancelled) {
        std::fprintf(stderr, "lorafit-cli: export cancelled; nothing was left behind\n");
        return cli::kExitCancelled;
    }
    for (const std::string &warning : summary->warnings)
        std::fprintf(stderr, "lorafit-cli: warning: %s\n", warning.c_str());
    cli::printLine(QStringLiteral("Base model: %1").arg(fromStd(summary->baseModelFolder)));
    for (const engine::ExportedFile &file : summary->files)
        cli::printLine(QStringLiteral("%1  %2").arg(sizeText(file.bytes), 10).arg(fromStd(file.path)));
    for (const std::string &step : summary->nextSteps)
        cli::printLine(QStringLiteral("Next: %1").arg(fromStd(step)));
    if (!options.projectFile.empty())
        recordInProject(options);
    return options.verify ? verify(request, summary.value()) : cli::kExitOk;
}

const cli::CommandRegistration registration({"export", "Write an adapter as a PEFT folder, merged model, GGUF LoRA or GGUF model",
                                             runExport});

} // namespace

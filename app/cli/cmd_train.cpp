// lorafit-cli train CONFIG.json | FILE.lorafit: a training run without the
// app. CONFIG.json is a settings document (what `project export-settings`
// writes); a project file records the run, its metrics and checkpoints like
// the app does. This file decides the settings, folders and ranks; the run
// itself (worker thread, progress line, JSON lines, project record, Ctrl-C)
// is cli::runTraining, shared with `lorafit-cli sweep`.
// Data parallel: --nproc N starts N−1 more processes (ranks) on this machine
// and trains with them; torchrun's variables or --nnodes/--node-rank/--master
// join ranks on several machines. Rank 0 records; the others are silent and
// write their errors to <run folder>/rank-<r>.log.
#include "app/cli/command.h"
#include "app/cli/numberoption.h"
#include "app/cli/settingsinput.h"
#include "app/cli/trainingrun.h"
#include "app/qtstrings.h"
#include "app/ranklauncher.h"

#include "engine/core/runtime.h"
#include "engine/lora/peftconfig.h"
#include "engine/project/projectstore.h"
#include "engine/train/runfolder.h"
#include "engine/train/runrecorder.h"
#include "engine/train/runsettings.h"
#include "engine/train/trainer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

namespace {

using app::fromStd;

// Everything the command line decides.
struct Options
{
    QString input;          // CONFIG.json or FILE.lorafit
    bool isProject = false;
    QString outputFolder;   // run folder (CONFIG.json runs)
    QString resume;         // checkpoint folder, "last", or a run id for projects
    QString initAdapter;    // PEFT adapter folder whose weights (and LoRA settings) start the run
    QString metricsPath;    // JSON lines; "-" = stdout
    QString runName;
    bool quiet = false;
    // Data parallel
    int processes = 0;            // --nproc: processes on this machine; 0 = 1, or one per visible GPU on CUDA
    int machines = 1;             // --nnodes
    int machineRank = 0;          // --node-rank
    QString master;               // --master HOST:PORT (rank 0's machine); empty = this machine, a free port
    int rendezvousSeconds = 120;  // --dist-timeout
    bool threadsGiven = false;    // --threads or the settings' training.threads
    QStringList rankArguments;    // what the other ranks of this machine are started with
};

// Parses the command line and loads the settings; on failure sets exitCode (0 after --help).
std::optional<Options> parseOptions(const QStringList &arguments, engine::RunSettings &settings, int &exitCode)
{
    exitCode = cli::kExitUsage;
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Train a LoRA/LoRA+ adapter headless. CONFIG.json is a settings document (as written by 'lorafit-cli "
        "project export-settings'); with a .lorafit project the run is recorded in the project."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("CONFIG"), QStringLiteral("CONFIG.json or FILE.lorafit"));
    const QCommandLineOption out({ QStringLiteral("o"), QStringLiteral("out") },
        QStringLiteral("run folder for checkpoints (default: runs/run-<time> next to CONFIG.json, or "
                       "<project>.runs/run-<time>)"),
        QStringLiteral("DIR"));
    const QCommandLineOption resume(QStringLiteral("resume"),
        QStringLiteral("continue from a checkpoint folder, 'last' (the newest in --out), or for a project a run id"),
        QStringLiteral("CHECKPOINT|last|RUN"));
    const QCommandLineOption metrics(QStringLiteral("metrics"),
        QStringLiteral("write JSON-lines metrics (one object per step) to FILE, '-' for stdout"), QStringLiteral("FILE"));
    const QCommandLineOption maxSteps(QStringLiteral("max-steps"), QStringLiteral("override training.max_steps"),
        QStringLiteral("N"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("override training.device (cpu, cuda, cuda:N)"),
        QStringLiteral("DEVICE"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("override training.threads"),
        QStringLiteral("N"));
    const QCommandLineOption name(QStringLiteral("name"), QStringLiteral("run name shown in the project"),
        QStringLiteral("NAME"));
    const QCommandLineOption quiet({ QStringLiteral("q"), QStringLiteral("quiet") },
        QStringLiteral("no progress line"));
    const QCommandLineOption set(QStringLiteral("set"),
        QStringLiteral("override one setting, e.g. --set optimizer.loraplus_ratio=1 (repeatable)"),
        QStringLiteral("SECTION.KEY=VALUE"));
    const QCommandLineOption initAdapter(QStringLiteral("init-adapter"),
        QStringLiteral("start from the weights of a PEFT adapter folder (Lorafit's or another tool's); its "
                       "adapter_config.json replaces the lora settings"),
        QStringLiteral("DIR"));
    const QCommandLineOption nproc(QStringLiteral("nproc"),
        QStringLiteral("train with N processes on this machine (data parallel: each takes its share of every batch; "
                       "default 1, or one per visible GPU with --device cuda)"),
        QStringLiteral("N"));
    const QCommandLineOption nnodes(QStringLiteral("nnodes"),
        QStringLiteral("machines in the run, each starting --nproc processes (needs --master)"), QStringLiteral("M"));
    const QCommandLineOption nodeRank(QStringLiteral("node-rank"),
        QStringLiteral("this machine's number, 0 … M−1; machine 0 runs rank 0, which records the run"),
        QStringLiteral("K"));
    const QCommandLineOption master(QStringLiteral("master"),
        QStringLiteral("where rank 0 meets the others (machine 0's address and a free port)"),
        QStringLiteral("HOST:PORT"));
    const QCommandLineOption distTimeout(QStringLiteral("dist-timeout"),
        QStringLiteral("seconds to wait for every rank to join (default 120)"), QStringLiteral("S"));
    parser.addOptions({ out, resume, initAdapter, metrics, maxSteps, device, threads, name, quiet, set, nproc, nnodes,
        nodeRank, master, distTimeout });
    if (const std::optional<int> code = cli::parseArguments(parser, arguments)) {
        exitCode = *code;
        return std::nullopt;
    }
    if (parser.positionalArguments().size() != 1) {
        cli::fail(QStringLiteral("expected one CONFIG.json or FILE.lorafit (hint: 'lorafit-cli train --help')"));
        return std::nullopt;
    }
    exitCode = cli::kExitFailure; // from here on the command line is fine but its content is not
    Options options;
    options.input = parser.positionalArguments().first();
    options.isProject = cli::isProjectPath(options.input);
    options.outputFolder = parser.value(out);
    options.resume = parser.value(resume);
    options.initAdapter = parser.value(initAdapter);
    options.metricsPath = parser.value(metrics);
    options.runName = parser.value(name);
    options.quiet = parser.isSet(quiet);
    qint64 processes = 0, machines = 1, machineRank = 0, seconds = 120;
    QString numberError;
    if (!cli::readInteger(parser, nproc.names().first(), 1, 1024, processes, numberError)
        || !cli::readInteger(parser, nnodes.names().first(), 1, 65536, machines, numberError)
        || !cli::readInteger(parser, nodeRank.names().first(), 0, machines - 1, machineRank, numberError)
        || !cli::readInteger(parser, distTimeout.names().first(), 1, 86400, seconds, numberError)) {
        cli::fail(numberError);
        return std::nullopt;
    }
    if (machines > 1 && !parser.isSet(master)) {
        cli::fail(QStringLiteral("--nnodes %1 needs --master HOST:PORT, the address of machine 0 and a free port "
                                 "(hint: e.g. --master 10.0.0.1:29500 on every machine)")
                      .arg(machines));
        return std::nullopt;
    }
    options.processes = static_cast<int>(processes);
    options.machines = static_cast<int>(machines);
    options.machineRank = static_cast<int>(machineRank);
    options.master = parser.value(master);
    options.rendezvousSeconds = static_cast<int>(seconds);
    // The other ranks of this machine: the same settings; rank 0 tells them the run folder and checkpoint.
    options.rankArguments = QStringList{ QStringLiteral("train"), options.input, QStringLiteral("--quiet"),
        QStringLiteral("--dist-timeout"), QString::number(seconds) };
    for (const QString &value : parser.values(set))
        options.rankArguments << QStringLiteral("--set") << value;
    for (const QCommandLineOption &passed : { maxSteps, device, threads, initAdapter })
        if (parser.isSet(passed))
            options.rankArguments << QStringLiteral("--") + passed.names().last() << parser.value(passed);

    const auto source = cli::readSettingsSource(options.input);
    engine::Result<engine::RunSettings> loaded
        = source ? cli::loadSettings(source.value(), parser.values(set)) : engine::Result<engine::RunSettings>(source.status());
    if (!loaded) {
        cli::fail(fromStd(loaded.message()));
        return std::nullopt;
    }
    settings = std::move(loaded).value();
    if (parser.isSet(maxSteps))
        settings.training.maxSteps = parser.value(maxSteps).toLongLong();
    if (parser.isSet(device))
        settings.training.device = parser.value(device).toStdString();
    if (parser.isSet(threads))
        settings.training.threads = parser.value(threads).toInt();
    options.threadsGiven = settings.training.threads > 0;
    const engine::Status valid = settings.validate();
    if (!valid) {
        cli::fail(fromStd(valid.message()));
        return std::nullopt;
    }
    return options;
}

// Decides the run folder and the checkpoint to resume from; for projects also the run to continue.
engine::Status resolveFolders(Options &options, engine::ProjectStore *store, engine::TrainOptions &train,
    std::int64_t &resumeRunId)
{
    if (store && !options.resume.isEmpty()) {
        bool isId = false;
        resumeRunId = options.resume.toLongLong(&isId);
        if (!isId)
            return engine::Status::failure("--resume: for a project give the run id to continue (hint: 'lorafit-cli "
                                           "project show " + options.input.toStdString() + "' lists the runs)");
        const auto checkpoint = store->lastCheckpoint(resumeRunId);
        if (!checkpoint)
            return checkpoint.status();
        if (!checkpoint.value())
            return engine::Status::failure("run " + std::to_string(resumeRunId)
                + " has no checkpoint to resume from (hint: start a new run)");
        train.resumeFrom = checkpoint.value()->path;
        train.outputFolder = std::filesystem::path(train.resumeFrom).parent_path().string();
        return engine::Status::success();
    }
    if (options.outputFolder.isEmpty()) {
        if (options.resume == QLatin1String("last"))
            return engine::Status::failure("--resume last needs --out DIR, the run folder to continue");
        const std::string runs = store ? engine::runsFolderOf(options.input.toStdString())
                                       : QDir(QFileInfo(options.input).absolutePath()).filePath("runs").toStdString();
        options.outputFolder = fromStd(engine::newRunFolder(runs));
    }
    train.outputFolder = QDir(options.outputFolder).absolutePath().toStdString();
    if (options.resume == QLatin1String("last")) {
        train.resumeFrom = engine::newestCheckpoint(train.outputFolder);
        if (train.resumeFrom.empty())
            return engine::Status::failure("--resume last: no checkpoint-<step> folder in '" + train.outputFolder
                + "' (hint: check --out)");
    } else if (!options.resume.isEmpty()) {
        train.resumeFrom = QDir(options.resume).absolutePath().toStdString();
        if (options.outputFolder.isEmpty())
            train.outputFolder = std::filesystem::path(train.resumeFrom).parent_path().string();
    }
    return engine::Status::success();
}

int visibleGpus()
{
    int count = 0;
    for (const engine::DeviceInfo &device : engine::runtimeInfo().devices)
        count += device.id.rfind("cuda", 0) == 0;
    return count;
}

// Who this process is in a data-parallel run and how many processes it starts
// on this machine (itself included): torchrun's variables, or --nproc,
// --nnodes, --node-rank and --master. Threads per process default to the
// cores shared out.
engine::Status planRanks(const Options &options, engine::RunSettings &settings, engine::DistributedConfig &config,
    int &processes)
{
    const auto fromEnvironment = engine::distributedFromEnvironment();
    if (!fromEnvironment)
        return fromEnvironment.status();
    processes = 1;
    if (fromEnvironment.value()) {
        if (options.processes > 1 || options.machines > 1)
            return engine::Status::failure("--nproc/--nnodes with RANK and WORLD_SIZE set: either a launcher such as "
                                           "torchrun starts the processes or --nproc does (hint: drop one of them)");
        config = *fromEnvironment.value();
    } else {
        const bool cuda = settings.training.device.rfind("cuda", 0) == 0;
        processes = options.processes > 0        ? options.processes
            : settings.training.processes > 1      ? settings.training.processes
            : (cuda && settings.training.device == "cuda" && visibleGpus() > 1) ? visibleGpus()
                                                                               : 1;
        config.worldSize = processes * options.machines;
        config.rank = options.machineRank * processes;
        config.localRank = 0;
        if (!options.master.isEmpty()) {
            const engine::Status parsed = engine::parseMasterEndpoint(options.master.toStdString(), "--master", config);
            if (!parsed)
                return parsed;
        } else if (config.worldSize > 1) {
            config.masterPort = app::freeLocalPort();
            if (config.masterPort == 0)
                return engine::Status::failure("no free TCP port on this machine for the ranks to meet (hint: give "
                                               "one with --master 127.0.0.1:PORT)");
        }
    }
    config.timeoutSeconds = options.rendezvousSeconds;
    const bool cpu = settings.training.device == "cpu";
    if (processes > 1 && cpu && !options.threadsGiven) {
        const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        settings.training.threads = std::max(1, cores / processes);
    }
    return config.validate();
}

void printOutcome(const engine::TrainingOutcome &outcome)
{
    cli::printLine(QStringLiteral("%1: %2").arg(QString::fromLatin1(engine::runEndName(outcome.end)),
        fromStd(outcome.message)));
    if (!outcome.lastCheckpoint.empty())
        cli::printLine(QStringLiteral("last checkpoint: %1").arg(fromStd(outcome.lastCheckpoint)));
    if (!outcome.bestCheckpoint.empty() && outcome.bestCheckpoint != outcome.lastCheckpoint)
        cli::printLine(QStringLiteral("best checkpoint: %1 (eval loss %2)")
                           .arg(fromStd(outcome.bestCheckpoint))
                           .arg(outcome.bestEvalLoss, 0, 'f', 4));
}

int runTrain(const QStringList &arguments)
{
    engine::RunSettings settings;
    int exitCode = cli::kExitOk;
    std::optional<Options> parsed = parseOptions(arguments, settings, exitCode);
    if (!parsed)
        return exitCode;
    Options options = *parsed;
    engine::DistributedConfig distributed;
    int processes = 1;
    const engine::Status ranks = planRanks(options, settings, distributed, processes);
    if (!ranks)
        return cli::fail(fromStd(ranks.message()));
    if (processes > 1 && !options.threadsGiven && settings.training.threads > 0)
        options.rankArguments << QStringLiteral("--threads") << QString::number(settings.training.threads);
    const bool leader = distributed.isLeader();
    if (!leader) { // rank 0 records and reports; this process only trains its share
        options.quiet = true;
        options.metricsPath.clear();
    }

    std::optional<engine::ProjectStore> store;
    if (options.isProject && leader) {
        auto opened = cli::openProjectForRuns(options.input);
        if (!opened)
            return cli::fail(fromStd(opened.message()));
        store.emplace(std::move(opened).value());
    }
    engine::TrainOptions trainOptions;
    trainOptions.distributed = distributed;
    std::int64_t resumeRunId = 0;
    if (leader) { // the other ranks take the run folder and checkpoint from rank 0
        const engine::Status folders = resolveFolders(options, store ? &*store : nullptr, trainOptions, resumeRunId);
        if (!folders)
            return cli::fail(fromStd(folders.message()));
    }
    if (!options.initAdapter.isEmpty()) { // recorded with the LoRA settings the run really uses
        trainOptions.initAdapter = QDir(options.initAdapter).absolutePath().toStdString();
        const auto adapter = engine::readPeftAdapterConfig(trainOptions.initAdapter);
        if (!adapter)
            return cli::fail(QStringLiteral("--init-adapter: ") + fromStd(adapter.message()));
        settings.lora = adapter.value();
    }

    std::unique_ptr<cli::MetricsWriter> writer;
    const engine::Status opened = engine::guard([&] { writer = std::make_unique<cli::MetricsWriter>(options.metricsPath); });
    if (!opened)
        return cli::fail(fromStd(opened.message()));

    // --- the other ranks of this machine ------------------------------------------------------------
    app::RankLauncher launcher;
    if (processes > 1) {
        const QString logs = leader ? QString::fromStdString(trainOptions.outputFolder)
                                    : QDir::temp().filePath(QStringLiteral("lorafit-ranks-%1").arg(distributed.masterPort));
        const engine::Status started = launcher.start(
            QCoreApplication::applicationFilePath(), options.rankArguments, distributed, processes, logs);
        if (!started)
            return cli::fail(fromStd(started.message()));
    }

    cli::TrainingRunRequest request;
    request.settings = settings;
    request.options = trainOptions;
    request.store = store ? &*store : nullptr;
    request.resumeRunId = resumeRunId;
    request.runName = options.runName;
    request.metrics = writer.get();
    request.quiet = options.quiet;
    request.ranks = &launcher;
    const cli::TrainingRunResult result = cli::runTraining(request);
    if (!result.outcome.isOk())
        return cli::fail(fromStd(result.outcome.message()));
    const engine::TrainingOutcome &outcome = result.outcome.value();
    if (!options.quiet)
        printOutcome(outcome);
    if (!result.recording)
        return cli::fail(QStringLiteral("the run finished but could not be recorded in the project: %1")
                             .arg(fromStd(result.recording.message())));
    if (outcome.end == engine::RunEnd::Diverged || outcome.end == engine::RunEnd::Interrupted)
        return cli::fail(fromStd(outcome.message));
    return outcome.end == engine::RunEnd::Stopped ? cli::kExitCancelled : cli::kExitOk;
}


const cli::CommandRegistration registration(
    { "train", "train a LoRA/LoRA+ adapter from a settings file or project, headless", runTrain });

} // namespace

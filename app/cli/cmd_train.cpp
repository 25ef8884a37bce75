// lorafit-cli train CONFIG.json | FILE.lorafit: a training run without the
// app. CONFIG.json is a settings document (what `project export-settings`
// writes); a project file records the run, its metrics and checkpoints like
// the app does. The trainer runs on a worker thread; this thread drains its
// metrics every 100 ms into a progress line, an optional JSON-lines file and
// the project. Ctrl-C stops after a checkpoint; a second Ctrl-C quits at once.
// Data parallel: --nproc N starts N−1 more processes (ranks) on this machine
// and trains with them; torchrun's variables or --nnodes/--node-rank/--master
// join ranks on several machines. Rank 0 records; the others are silent and
// write their errors to <run folder>/rank-<r>.log.
#include "app/cli/command.h"
#include "app/qtstrings.h"
#include "app/cli/numberoption.h"
#include "app/ranklauncher.h"

#include "engine/core/atomicfile.h"
#include "engine/core/runtime.h"
#include "engine/lora/peftconfig.h"
#include "engine/project/projectstore.h"
#include "engine/train/metricsqueue.h"
#include "engine/train/runrecorder.h"
#include "engine/train/runsettings.h"
#include "engine/train/trainer.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#ifdef _WIN32
#include <io.h>
#define LF_ISATTY _isatty
#define LF_FILENO _fileno
#else
#include <unistd.h>
#define LF_ISATTY isatty
#define LF_FILENO fileno
#endif

namespace {

using app::fromStd;

std::atomic<int> g_interrupts{ 0 };

void onInterrupt(int)
{
    if (g_interrupts.fetch_add(1) >= 1)
        std::_Exit(cli::kExitCancelled); // second Ctrl-C: no checkpoint, quit now
}

QString duration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("--:--");
    const auto total = static_cast<long long>(seconds + 0.5);
    if (total >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(total / 3600)
            .arg(total / 60 % 60, 2, 10, QLatin1Char('0'))
            .arg(total % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(total / 60, 2, 10, QLatin1Char('0')).arg(total % 60, 2, 10, QLatin1Char('0'));
}

QJsonValue number(double value)
{
    return std::isfinite(value) ? QJsonValue(value) : QJsonValue(QJsonValue::Null);
}

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

// The JSON-lines stream: one object per line with "event": plan | step | checkpoint | end.
class MetricsWriter
{
public:
    explicit MetricsWriter(const QString &path)
    {
        if (path.isEmpty())
            return;
        m_file = path == QLatin1String("-") ? stdout : std::fopen(path.toLocal8Bit().constData(), "w");
        if (!m_file)
            throw engine::Error("cannot write metrics file '" + path.toStdString()
                + "' (hint: check that its folder exists and is writable)");
    }
    ~MetricsWriter()
    {
        if (m_file && m_file != stdout)
            std::fclose(m_file);
    }
    MetricsWriter(const MetricsWriter &) = delete;
    MetricsWriter &operator=(const MetricsWriter &) = delete;

    void write(const QJsonObject &object)
    {
        if (!m_file)
            return;
        const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
        std::fwrite(line.constData(), 1, static_cast<std::size_t>(line.size()), m_file);
        std::fflush(m_file);
    }

private:
    std::FILE *m_file = nullptr;
};

QJsonObject planJson(const engine::TrainingPlan &plan)
{
    QJsonArray names, kinds, layers;
    for (std::size_t i = 0; i < plan.matrixNames.size(); ++i) {
        names.append(fromStd(plan.matrixNames[i]));
        kinds.append(fromStd(plan.matrixKinds[i]));
        layers.append(plan.matrixLayers[i]);
    }
    return { { "event", "plan" }, { "total_steps", double(plan.totalSteps) }, { "first_step", double(plan.firstStep) },
        { "device", fromStd(plan.device) }, { "ranks", plan.ranks }, { "trainable_parameters", double(plan.trainableParameters) },
        { "base_parameters", double(plan.baseParameters) }, { "train_examples", double(plan.trainExamples) },
        { "validation_examples", double(plan.validationExamples) }, { "run_folder", fromStd(plan.outputFolder) },
        { "matrices", names }, { "matrix_kinds", kinds }, { "matrix_layers", layers } };
}

QJsonObject stepJson(const engine::StepMetrics &metrics)
{
    const engine::StepRecord record = engine::toStepRecord(metrics);
    QJsonObject object{ { "event", "step" }, { "step", double(metrics.step) },
        { "total_steps", double(metrics.totalSteps) }, { "epoch", metrics.epoch } };
    for (const auto &[name, value] : record.scalars)
        object.insert(fromStd(name), number(value));
    for (const auto &[kind, values] : record.matrices) {
        QJsonArray array;
        for (const float value : values)
            array.append(number(value));
        object.insert(fromStd(kind), array);
    }
    return object;
}

// The one-line progress display on stderr (redrawn in place on a terminal).
class ProgressLine
{
public:
    explicit ProgressLine(bool quiet)
        : m_quiet(quiet)
        , m_terminal(LF_ISATTY(LF_FILENO(stderr)) != 0)
    { }

    void update(const engine::StepMetrics &m, double elapsed, std::int64_t firstStep)
    {
        if (m.step == 0)
            return;
        if (std::isfinite(m.loss))
            m_smoothed = std::isfinite(m_smoothed) ? 0.9 * m_smoothed + 0.1 * m.loss : m.loss;
        m_tokensPerSecond = m.tokensPerSecond;
        const double done = static_cast<double>(m.step - firstStep + 1);
        const double eta = elapsed / std::max(1.0, done) * static_cast<double>(m.totalSteps - m.step);
        const int width = 24;
        const int filled = m.totalSteps > 0 ? static_cast<int>(width * m.step / m.totalSteps) : 0;
        if (std::isfinite(m.evalPreference.accuracy))
            m_evalAccuracy = m.evalPreference.accuracy;
        m_text = QStringLiteral("[%1%2] step %3/%4  loss %5%6%10  %7 tok/s  elapsed %8  ETA %9")
                     .arg(QString(filled, QLatin1Char('#')), QString(width - filled, QLatin1Char('.')))
                     .arg(m.step)
                     .arg(m.totalSteps)
                     .arg(m_smoothed, 0, 'f', 4)
                     .arg(std::isfinite(m.evalLoss) ? QStringLiteral("  eval %1").arg(m.evalLoss, 0, 'f', 4) : QString())
                     .arg(m_tokensPerSecond, 0, 'f', 0)
                     .arg(duration(elapsed), duration(eta))
                     .arg(std::isfinite(m_evalAccuracy) // preference runs: pairs won on the validation set
                             ? QStringLiteral("  eval acc %1 %").arg(100.0 * m_evalAccuracy, 0, 'f', 1)
                             : QString());
        m_dirty = true;
    }

    void show(bool force = false)
    {
        if (m_quiet || !m_dirty)
            return;
        const auto now = std::chrono::steady_clock::now();
        if (!m_terminal && !force && now - m_lastPrint < std::chrono::seconds(5))
            return;
        m_lastPrint = now;
        const QByteArray text = m_text.toLocal8Bit();
        std::fprintf(stderr, m_terminal ? "\r%s\x1b[K" : "%s\n", text.constData());
        std::fflush(stderr);
        m_dirty = false;
    }

    void note(const QString &message)
    {
        if (m_quiet)
            return;
        std::fprintf(stderr, m_terminal ? "\r\x1b[K%s\n" : "%s\n", message.toLocal8Bit().constData());
        m_dirty = true;
        show(true);
    }

private:
    bool m_quiet;
    bool m_terminal;
    bool m_dirty = false;
    double m_smoothed = NAN;
    double m_evalAccuracy = NAN;
    double m_tokensPerSecond = 0.0;
    QString m_text;
    std::chrono::steady_clock::time_point m_lastPrint{};
};

// Everything the worker thread hands to the main thread besides metrics.
struct Inbox
{
    std::mutex mutex;
    std::optional<engine::TrainingPlan> plan;
    std::vector<engine::CheckpointRecord> checkpoints;
    std::vector<std::string> notes;
};

// Applies "--set section.key=value" overrides to a settings document; the value
// is JSON if it parses as JSON (1e-4, true, "x", [..]), else a string.
engine::Result<std::string> applyOverrides(const std::string &document, const QStringList &sets)
{
    if (sets.isEmpty())
        return document;
    QJsonObject root = QJsonDocument::fromJson(QByteArray::fromStdString(document)).object();
    QJsonObject sections = root.value(QStringLiteral("sections")).toObject();
    for (const QString &set : sets) {
        const int dot = set.indexOf(QLatin1Char('.')), equals = set.indexOf(QLatin1Char('='));
        if (dot <= 0 || equals <= dot + 1)
            return engine::Status::failure("--set '" + set.toStdString()
                + "': expected SECTION.KEY=VALUE (hint: --set optimizer.loraplus_ratio=1)");
        const QString section = set.left(dot), key = set.mid(dot + 1, equals - dot - 1);
        const QByteArray text = set.mid(equals + 1).toUtf8();
        const QJsonDocument parsed = QJsonDocument::fromJson("[" + text + "]");
        const QJsonValue value = parsed.isArray() && parsed.array().size() == 1 ? parsed.array().first()
                                                                                 : QJsonValue(QString::fromUtf8(text));
        QJsonObject entry = sections.value(section).toObject();
        if (!entry.contains(QStringLiteral("version")))
            entry.insert(QStringLiteral("version"), 1);
        QJsonObject values = entry.value(QStringLiteral("values")).toObject();
        values.insert(key, value);
        entry.insert(QStringLiteral("values"), values);
        sections.insert(section, entry);
    }
    root.insert(QStringLiteral("sections"), sections);
    return QJsonDocument(root).toJson().toStdString();
}

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
    options.isProject = options.input.endsWith(QLatin1String(".lorafit"));
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

    engine::Result<engine::RunSettings> loaded = [&]() -> engine::Result<engine::RunSettings> {
        if (options.isProject) {
            auto store = engine::ProjectStore::open(options.input.toStdString(), engine::OpenMode::ReadOnly);
            if (!store)
                return store.status();
            auto document = store->exportSettingsJson();
            if (!document)
                return document.status();
            auto changed = applyOverrides(document.value(), parser.values(set));
            if (!changed)
                return changed.status();
            return engine::RunSettings::fromDocument(changed.value(), options.input.toStdString());
        }
        std::string text;
        const engine::Status read = engine::guard([&] { text = engine::readFile(options.input.toStdString()); });
        if (!read)
            return read;
        auto changed = applyOverrides(text, parser.values(set));
        if (!changed)
            return changed.status();
        return engine::RunSettings::fromDocument(
            changed.value(), options.input.toStdString(), QFileInfo(options.input).absolutePath().toStdString());
    }();
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

// The newest checkpoint-<step> folder in `runFolder`, or "".
QString newestCheckpoint(const QString &runFolder)
{
    const QStringList folders = QDir(runFolder).entryList({ QStringLiteral("checkpoint-*") }, QDir::Dirs);
    QString best;
    long long bestStep = -1;
    for (const QString &folder : folders) {
        const long long step = folder.mid(11).toLongLong();
        if (step > bestStep) {
            bestStep = step;
            best = QDir(runFolder).filePath(folder);
        }
    }
    return best;
}

} // namespace

namespace {

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
        train.resumeFrom = newestCheckpoint(options.outputFolder).toStdString();
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
        auto opened = engine::ProjectStore::open(options.input.toStdString(), engine::OpenMode::ReadWrite);
        if (!opened)
            return cli::fail(fromStd(opened.message()));
        store.emplace(std::move(opened).value());
        if (store->isReadOnly())
            return cli::fail(QStringLiteral("'%1' is open in another Lorafit process (hint: close it there, or train "
                                            "from an exported CONFIG.json)")
                                 .arg(options.input));
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

    std::unique_ptr<MetricsWriter> writer;
    const engine::Status opened = engine::guard([&] { writer = std::make_unique<MetricsWriter>(options.metricsPath); });
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

    // --- the worker thread ---------------------------------------------------------------------------
    Inbox inbox;
    engine::MetricsQueue queue;
    engine::TrainingControl control;
    engine::TrainerCallbacks callbacks;
    callbacks.metrics = leader ? &queue : nullptr;
    callbacks.started = [&](const engine::TrainingPlan &plan) {
        std::lock_guard lock(inbox.mutex);
        inbox.plan = plan;
    };
    callbacks.checkpointSaved = [&](const engine::CheckpointRecord &record) {
        std::lock_guard lock(inbox.mutex);
        inbox.checkpoints.push_back(record);
    };
    callbacks.log = [&](const std::string &note) {
        std::lock_guard lock(inbox.mutex);
        inbox.notes.push_back(note);
    };
    std::optional<engine::Result<engine::TrainingOutcome>> result;
    std::atomic<bool> done{ false };
    std::thread worker([&] {
        result.emplace(engine::Trainer::run(settings, trainOptions, callbacks, control));
        done = true;
    });

    // --- the main thread: drain, show, record ----------------------------------------------------------
    g_interrupts = 0;
    auto previousHandler = std::signal(SIGINT, onInterrupt);
    ProgressLine progress(options.quiet || options.metricsPath == QLatin1String("-"));
    std::optional<engine::RunRecorder> recorder;
    if (store)
        recorder.emplace(*store);
    engine::Status recording = engine::Status::success();
    const auto started = std::chrono::steady_clock::now();
    std::int64_t firstStep = 1;
    bool stopAsked = false;
    auto pump = [&] {
        Inbox taken;
        {
            std::lock_guard lock(inbox.mutex);
            std::swap(taken.plan, inbox.plan);
            std::swap(taken.checkpoints, inbox.checkpoints);
            std::swap(taken.notes, inbox.notes);
        }
        for (const std::string &note : taken.notes)
            progress.note(fromStd(note));
        if (taken.plan) {
            firstStep = taken.plan->firstStep;
            writer->write(planJson(*taken.plan));
            if (recorder && recording) {
                const std::string name = options.runName.isEmpty() ? "cli run" : options.runName.toStdString();
                const auto id = recorder->begin(name, settings, *taken.plan, resumeRunId);
                recording = id ? engine::Status::success() : id.status();
            }
        }
        const std::vector<engine::StepMetrics> batch = queue.drain();
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        for (const engine::StepMetrics &metrics : batch) {
            writer->write(stepJson(metrics));
            progress.update(metrics, elapsed, firstStep);
        }
        if (recorder && recording && !batch.empty())
            recording = recorder->record(batch);
        for (const engine::CheckpointRecord &record : taken.checkpoints) {
            writer->write({ { "event", "checkpoint" }, { "step", double(record.step) },
                { "path", fromStd(record.path) }, { "size_bytes", double(record.sizeBytes) } });
            if (recorder && recording)
                recording = recorder->checkpoint(record);
        }
        progress.show();
    };
    QString rankFailure; // a rank this process started that died
    while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (g_interrupts > 0 && !stopAsked) {
            stopAsked = true;
            progress.note(QStringLiteral("stopping after a checkpoint (Ctrl-C again quits at once)"));
            control.requestStop();
        }
        if (rankFailure.isEmpty() && !(rankFailure = launcher.failure()).isEmpty())
            control.requestStop(); // ends a rendezvous still waiting for it; a collective notices by itself
        pump();
    }
    worker.join();
    pump();
    launcher.finish(result->isOk() ? 60000 : 5000);
    if (rankFailure.isEmpty())
        rankFailure = launcher.failure();
    std::signal(SIGINT, previousHandler);
    progress.show(true);
    if (!options.quiet)
        std::fprintf(stderr, "\n");

    if (!result->isOk()) {
        const QString message = rankFailure.isEmpty() ? fromStd(result->message())
                                                      : rankFailure + QStringLiteral("; then: ") + fromStd(result->message());
        if (recorder && recorder->runId() > 0)
            (void)recorder->fail(message.toStdString());
        return cli::fail(message);
    }
    engine::TrainingOutcome outcome = result->value();
    if (outcome.end == engine::RunEnd::Interrupted && !rankFailure.isEmpty())
        outcome.message = rankFailure.toStdString() + "; " + outcome.message;
    if (recorder && recorder->runId() > 0 && recording)
        recording = recorder->finish(outcome);
    writer->write({ { "event", "end" }, { "end", engine::runEndName(outcome.end) }, { "steps", double(outcome.steps) },
        { "loss", number(outcome.lastLoss) }, { "eval_loss", number(outcome.lastEvalLoss) },
        { "best_eval_loss", number(outcome.bestEvalLoss) }, { "last_checkpoint", fromStd(outcome.lastCheckpoint) },
        { "best_checkpoint", fromStd(outcome.bestCheckpoint) } });
    if (!options.quiet) {
        cli::printLine(QStringLiteral("%1: %2").arg(QString::fromLatin1(engine::runEndName(outcome.end)),
            fromStd(outcome.message)));
        if (!outcome.lastCheckpoint.empty())
            cli::printLine(QStringLiteral("last checkpoint: %1").arg(fromStd(outcome.lastCheckpoint)));
        if (!outcome.bestCheckpoint.empty() && outcome.bestCheckpoint != outcome.lastCheckpoint)
            cli::printLine(QStringLiteral("best checkpoint: %1 (eval loss %2)")
                               .arg(fromStd(outcome.bestCheckpoint))
                               .arg(outcome.bestEvalLoss, 0, 'f', 4));
    }
    if (!recording)
        return cli::fail(QStringLiteral("the run finished but could not be recorded in the project: %1")
                             .arg(fromStd(recording.message())));
    if (outcome.end == engine::RunEnd::Diverged || outcome.end == engine::RunEnd::Interrupted)
        return cli::fail(fromStd(outcome.message));
    return outcome.end == engine::RunEnd::Stopped ? cli::kExitCancelled : cli::kExitOk;
}

const cli::CommandRegistration registration(
    { "train", "train a LoRA/LoRA+ adapter from a settings file or project, headless", runTrain });

} // namespace

// lorafit-cli sweep CONFIG.json | FILE.lorafit --set K=V1,V2 …: trains the
// grid of settings the --set lists span, one run after another, each with
// cli::runTraining exactly as `train` runs it (a project records each as one
// of its runs), then prints a table comparing them: final and best eval loss,
// steps to reach plain LoRA's final eval loss, wall time. The whole grid is
// checked before the first run starts. Runs go to <out>/run-<n>; <out>/sweep.json
// holds the table so far after every run.
#include "app/cli/command.h"
#include "app/cli/numberoption.h"
#include "app/cli/settingsinput.h"
#include "app/cli/trainingrun.h"
#include "app/qtstrings.h"

#include "engine/core/atomicfile.h"
#include "engine/train/runfolder.h"
#include "engine/train/runrecorder.h"
#include "engine/train/sweepgrid.h"
#include "engine/train/sweepsummary.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <cmath>
#include <optional>

namespace {

using app::fromStd;

struct SweepOptions
{
    QString input;        // CONFIG.json or FILE.lorafit
    QStringList sets;     // the --set texts, one axis each
    QString outFolder;    // where the runs go; empty = a new sweep-<time> folder
    qint64 maxSteps = 0;  // 0 = as the settings say
    qint64 threads = 0;   // 0 = as the settings say
    double stopWorse = 0; // 0 = never stop a run early
    QString jsonPath;     // the table as JSON; empty = none
    bool quiet = false;
};

// Parses the command line; nullopt with exitCode set when the command should end.
std::optional<SweepOptions> parseOptions(const QStringList &arguments, int &exitCode)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Train a grid of settings one run after another and compare them. Each --set gives one setting and its "
        "values, e.g. --set optimizer.loraplus_ratio=1,4,16 --set optimizer.learning_rate=3e-4,1e-3 (6 runs; the "
        "first --set varies slowest). Values are split on commas outside [], {} and quotes."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("CONFIG"), QStringLiteral("CONFIG.json or FILE.lorafit"));
    const QCommandLineOption set(QStringLiteral("set"),
        QStringLiteral("one setting and its values (repeatable)"), QStringLiteral("SECTION.KEY=V1,V2,…"));
    const QCommandLineOption out({ QStringLiteral("o"), QStringLiteral("out") },
        QStringLiteral("folder for the runs (default: runs/sweep-<time> next to CONFIG.json, or "
                       "<project>.runs/sweep-<time>)"),
        QStringLiteral("DIR"));
    const QCommandLineOption maxSteps(QStringLiteral("max-steps"), QStringLiteral("training.max_steps of every run"),
        QStringLiteral("N"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("training.threads of every run"),
        QStringLiteral("N"));
    const QCommandLineOption stopWorse(QStringLiteral("stop-worse"),
        QStringLiteral("stop a run when its eval loss is NaN or more than F times the best eval loss an earlier run "
                       "had at the same step (default: off)"),
        QStringLiteral("F"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("also write the table as JSON to FILE"),
        QStringLiteral("FILE"));
    const QCommandLineOption quiet({ QStringLiteral("q"), QStringLiteral("quiet") },
        QStringLiteral("no progress lines (the table is still printed)"));
    parser.addOptions({ set, out, maxSteps, threads, stopWorse, json, quiet });
    exitCode = cli::kExitUsage;
    if (const std::optional<int> code = cli::parseArguments(parser, arguments)) {
        exitCode = *code;
        return std::nullopt;
    }
    if (parser.positionalArguments().size() != 1) {
        cli::fail(QStringLiteral("expected one CONFIG.json or FILE.lorafit (hint: 'lorafit-cli sweep --help')"));
        return std::nullopt;
    }
    SweepOptions options;
    options.input = parser.positionalArguments().first();
    options.sets = parser.values(set);
    options.outFolder = parser.value(out);
    options.jsonPath = parser.value(json);
    options.quiet = parser.isSet(quiet);
    QString error;
    if (!cli::readInteger(parser, maxSteps.names().first(), 1, 1000000000, options.maxSteps, error)
        || !cli::readInteger(parser, threads.names().first(), 1, 4096, options.threads, error)
        || !cli::readReal(parser, stopWorse.names().first(), options.stopWorse, error)) {
        cli::fail(error);
        return std::nullopt;
    }
    if (parser.isSet(stopWorse) && !(options.stopWorse >= 1.0 && std::isfinite(options.stopWorse))) {
        cli::fail(QStringLiteral("--stop-worse %1: must be a factor >= 1 (hint: 1.5 stops runs 50 % above the best)")
                      .arg(parser.value(stopWorse)));
        return std::nullopt;
    }
    if (options.sets.isEmpty()) {
        cli::fail(QStringLiteral("a sweep needs at least one --set SECTION.KEY=V1,V2,… (hint: --set "
                                 "optimizer.loraplus_ratio=1,4,16)"));
        return std::nullopt;
    }
    return options;
}

struct SweepPlan
{
    std::vector<engine::SweepAxis> axes;
    std::vector<engine::SweepRun> runs;
};

// "--set " before a message that names an axis ("optimizer.loraplus_ratio: item 3 'x' …").
std::string aboutSet(const std::string &message, const std::vector<engine::SweepAxis> &axes)
{
    for (const engine::SweepAxis &axis : axes)
        if (message.rfind(axis.name(), 0) == 0)
            return "--set " + message;
    return message;
}

// The checked grid with --max-steps and --threads applied; fails before anything runs.
engine::Result<SweepPlan> planSweep(const SweepOptions &options, const cli::SettingsSource &source)
{
    SweepPlan plan;
    for (const QString &text : options.sets) {
        auto axis = engine::parseSweepAxis(text.toStdString());
        if (!axis)
            return engine::Status::failure("--set " + axis.message());
        plan.axes.push_back(std::move(axis).value());
    }
    auto runs = engine::expandSweep(source.document, plan.axes, source.source, source.baseFolder);
    if (!runs)
        return engine::Status::failure(aboutSet(runs.message(), plan.axes));
    plan.runs = std::move(runs).value();
    for (engine::SweepRun &run : plan.runs) {
        if (options.maxSteps > 0)
            run.settings.training.maxSteps = options.maxSteps;
        if (options.threads > 0)
            run.settings.training.threads = static_cast<int>(options.threads);
        engine::Status valid = run.settings.validate();
        if (valid)
            valid = engine::sweepComparable(run.settings);
        if (!valid)
            return engine::Status::failure("the run " + run.point.label + ": " + valid.message());
    }
    return plan;
}

// The folder the runs go to, created; a given --out must not hold a sweep already.
engine::Result<QString> sweepFolder(const SweepOptions &options)
{
    QString folder = options.outFolder;
    if (!folder.isEmpty() && QDir(folder).exists(QStringLiteral("run-1")))
        return engine::Status::failure("--out '" + folder.toStdString()
            + "' already holds a sweep's runs (hint: give a new folder)");
    if (folder.isEmpty()) {
        const std::string runs = cli::isProjectPath(options.input)
            ? engine::runsFolderOf(options.input.toStdString())
            : QDir(QFileInfo(options.input).absolutePath()).filePath(QStringLiteral("runs")).toStdString();
        folder = fromStd(engine::newStampedFolder(runs, "sweep"));
    }
    if (!QDir().mkpath(folder))
        return engine::Status::failure("cannot create the sweep folder '" + folder.toStdString()
            + "' (hint: check that its parent is writable)");
    return QDir(folder).absolutePath();
}

// Whether the trainer evaluates at `step` (as Trainer does: every eval_every steps and at the last).
bool evaluatesAt(const engine::TrainingConfig &training, std::int64_t step, std::int64_t totalSteps)
{
    return training.evalEvery > 0 && (step == totalSteps || step % training.evalEvery == 0);
}

// Runs the grid one run after another and reports.
class Sweep
{
public:
    Sweep(const SweepOptions &options, SweepPlan plan, QString folder, engine::ProjectStore *store)
        : m_options(options)
        , m_plan(std::move(plan))
        , m_folder(std::move(folder))
        , m_store(store)
        , m_stopRule(options.stopWorse)
    { }

    int run()
    {
        bool failed = false;
        for (std::size_t i = 0; i < m_plan.runs.size(); ++i) {
            const cli::TrainingRunResult done = runOne(i);
            failed = failed || !done.outcome.isOk() || !done.recording;
            if (done.interrupted)
                return report(cli::kExitCancelled);
        }
        return report(failed ? cli::kExitFailure : cli::kExitOk);
    }

private:
    cli::TrainingRunResult runOne(std::size_t index)
    {
        const engine::SweepRun &run = m_plan.runs[index];
        const QString label = fromStd(run.point.label);
        if (!m_options.quiet)
            std::fprintf(stderr, "%s\n",
                QStringLiteral("run %1/%2: %3").arg(index + 1).arg(m_plan.runs.size()).arg(label).toUtf8().constData());
        engine::SweepRunResult result = resultFrame(index);
        cli::TrainingRunRequest request;
        request.settings = run.settings;
        request.options.outputFolder = QDir(m_folder).filePath(QStringLiteral("run-%1").arg(index + 1)).toStdString();
        request.store = m_store;
        request.runName = QStringLiteral("sweep ") + label;
        request.quiet = m_options.quiet;
        request.onStep = [&](const engine::StepMetrics &metrics) { return observe(metrics, run, result); };
        const cli::TrainingRunResult done = cli::runTraining(request);
        finishResult(done, result);
        m_stopRule.addRun(result);
        m_results.push_back(std::move(result));
        saveTable();
        return done;
    }

    engine::SweepRunResult resultFrame(std::size_t index) const
    {
        engine::SweepRunResult result;
        result.label = m_plan.runs[index].point.label;
        for (const engine::SettingAssignment &assignment : m_plan.runs[index].point.assignments)
            result.settings.emplace_back(assignment.name(), assignment.value);
        std::vector<engine::SweepPoint> points;
        for (const engine::SweepRun &run : m_plan.runs)
            points.push_back(run.point);
        result.plainLora = engine::plainLoraRun(m_plan.axes, points, index);
        return result;
    }

    // Keeps the eval curve; an answer stops the run (the --stop-worse rule).
    std::string observe(const engine::StepMetrics &metrics, const engine::SweepRun &run, engine::SweepRunResult &result)
    {
        const bool measured = std::isfinite(metrics.evalLoss);
        // The trainer leaves out a NaN eval loss: a due evaluation without one, after earlier ones, is NaN.
        const bool missing = !measured && !result.evalLosses.empty()
            && evaluatesAt(run.settings.training, metrics.step, metrics.totalSteps);
        if (!measured && !missing)
            return {};
        result.evalLosses.emplace_back(metrics.step, measured ? metrics.evalLoss : NAN);
        std::string why;
        return m_stopRule.shouldStop(metrics.step, result.evalLosses.back().second, why) ? why : std::string();
    }

    static void finishResult(const cli::TrainingRunResult &done, engine::SweepRunResult &result)
    {
        result.seconds = done.seconds;
        if (!done.outcome.isOk()) {
            result.end = "failed";
            result.message = done.outcome.message();
            return;
        }
        result.steps = done.outcome->steps;
        result.end = !done.stopReason.empty() ? "worse" : engine::runEndName(done.outcome->end);
        result.message = !done.stopReason.empty() ? done.stopReason : done.outcome->message;
    }

    void saveTable()
    {
        const std::string json = engine::sweepTableJson(engine::sweepTable(m_results));
        const engine::Status saved = engine::guard([&] {
            engine::writeFileAtomically(QDir(m_folder).filePath(QStringLiteral("sweep.json")).toStdString(), json);
        });
        if (!saved)
            cli::fail(fromStd(saved.message()));
    }

    int report(int exitCode)
    {
        const std::vector<engine::SweepRow> rows = engine::sweepTable(m_results);
        cli::printLine(fromStd(engine::sweepTableText(rows)).trimmed());
        for (const engine::SweepRunResult &result : m_results)
            if (result.end != "completed")
                cli::printLine(QStringLiteral("%1: %2: %3").arg(fromStd(result.label), fromStd(result.end),
                    fromStd(result.message)));
        cli::printLine(QStringLiteral("runs: %1").arg(m_folder));
        if (!m_options.jsonPath.isEmpty()) {
            const engine::Status written = engine::guard([&] {
                engine::writeFileAtomically(m_options.jsonPath.toStdString(), engine::sweepTableJson(rows));
            });
            if (!written)
                return cli::fail(QStringLiteral("--json: ") + fromStd(written.message()));
        }
        return exitCode;
    }

    const SweepOptions &m_options;
    SweepPlan m_plan;
    QString m_folder;
    engine::ProjectStore *m_store;
    engine::SweepStopRule m_stopRule;
    std::vector<engine::SweepRunResult> m_results;
};

int runSweep(const QStringList &arguments)
{
    int exitCode = cli::kExitOk;
    const std::optional<SweepOptions> options = parseOptions(arguments, exitCode);
    if (!options)
        return exitCode;
    const auto source = cli::readSettingsSource(options->input);
    if (!source)
        return cli::fail(fromStd(source.message()));
    auto plan = planSweep(*options, source.value());
    if (!plan) {
        cli::fail(fromStd(plan.message()));
        return cli::kExitUsage; // a grid that does not fit the settings is a command-line error
    }
    std::optional<engine::ProjectStore> store;
    if (cli::isProjectPath(options->input)) {
        auto opened = cli::openProjectForRuns(options->input);
        if (!opened)
            return cli::fail(fromStd(opened.message()));
        store.emplace(std::move(opened).value());
    }
    const auto folder = sweepFolder(*options);
    if (!folder)
        return cli::fail(fromStd(folder.message()));
    Sweep sweep(*options, std::move(plan).value(), folder.value(), store ? &*store : nullptr);
    return sweep.run();
}

const cli::CommandRegistration registration(
    { "sweep", "train a grid of settings one run after another and compare their eval losses", runSweep });

} // namespace

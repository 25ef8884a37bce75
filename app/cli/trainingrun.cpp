#include "app/cli/trainingrun.h"

#include "app/cli/command.h"
#include "app/qtstrings.h"
#include "app/ranklauncher.h"

#include "engine/project/projectstore.h"
#include "engine/train/metricsqueue.h"
#include "engine/train/runrecorder.h"
#include "engine/train/smoothedloss.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
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

namespace cli {

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
        m_smoothed.add(m.loss); // a skipped step's NaN is left out
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
                     .arg(m_smoothed.value(), 0, 'f', 4)
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
    engine::SmoothedLoss m_smoothed; // as the app's "train (smoothed)" curve
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
// The main thread's side of one run: takes what the worker left in the inbox
// and the queue, shows it, streams it and records it.
class Drain
{
public:
    Drain(const TrainingRunRequest &request, Inbox &inbox, engine::MetricsQueue &queue)
        : m_request(request)
        , m_inbox(inbox)
        , m_queue(queue)
        , m_progress(request.quiet || (request.metrics && request.metrics->toStdout()))
        , m_started(std::chrono::steady_clock::now())
    {
        if (request.store)
            m_recorder.emplace(*request.store);
    }

    ProgressLine &progress() { return m_progress; }
    double elapsed() const
    {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
    }

    // Everything that arrived since the last call; returns onStep's reason to stop, if any.
    std::string pump()
    {
        Inbox taken;
        {
            std::lock_guard lock(m_inbox.mutex);
            std::swap(taken.plan, m_inbox.plan);
            std::swap(taken.checkpoints, m_inbox.checkpoints);
            std::swap(taken.notes, m_inbox.notes);
        }
        for (const std::string &note : taken.notes)
            m_progress.note(fromStd(note));
        if (taken.plan)
            begin(*taken.plan);
        const std::string stop = steps(m_queue.drain());
        for (const engine::CheckpointRecord &record : taken.checkpoints) {
            write({ { "event", "checkpoint" }, { "step", double(record.step) }, { "path", fromStd(record.path) },
                { "size_bytes", double(record.sizeBytes) } });
            if (m_recorder && m_recording)
                m_recording = m_recorder->checkpoint(record);
        }
        m_progress.show();
        return stop;
    }

    // Records how the run ended; the result's outcome and recording are set.
    void finish(TrainingRunResult &result)
    {
        if (!result.outcome.isOk()) {
            if (m_recorder && m_recorder->runId() > 0)
                (void)m_recorder->fail(result.outcome.message());
        } else if (m_recorder && m_recorder->runId() > 0 && m_recording) {
            m_recording = m_recorder->finish(result.outcome.value());
        }
        if (result.outcome.isOk()) {
            const engine::TrainingOutcome &o = result.outcome.value();
            write({ { "event", "end" }, { "end", engine::runEndName(o.end) }, { "steps", double(o.steps) },
                { "loss", number(o.lastLoss) }, { "eval_loss", number(o.lastEvalLoss) },
                { "best_eval_loss", number(o.bestEvalLoss) }, { "last_checkpoint", fromStd(o.lastCheckpoint) },
                { "best_checkpoint", fromStd(o.bestCheckpoint) } });
        }
        result.recording = m_recording;
        result.runId = m_recorder ? m_recorder->runId() : 0;
    }

private:
    void write(const QJsonObject &object)
    {
        if (m_request.metrics)
            m_request.metrics->writeLine(QJsonDocument(object).toJson(QJsonDocument::Compact));
    }

    void begin(const engine::TrainingPlan &plan)
    {
        m_firstStep = plan.firstStep;
        write(planJson(plan));
        if (!m_recorder || !m_recording)
            return;
        const std::string name = m_request.runName.isEmpty() ? "cli run" : m_request.runName.toStdString();
        const auto id = m_recorder->begin(name, m_request.settings, plan, m_request.resumeRunId);
        m_recording = id ? engine::Status::success() : id.status();
    }

    std::string steps(const std::vector<engine::StepMetrics> &batch)
    {
        std::string stop;
        for (const engine::StepMetrics &metrics : batch) {
            write(stepJson(metrics));
            m_progress.update(metrics, elapsed(), m_firstStep);
            if (m_request.onStep && stop.empty())
                stop = m_request.onStep(metrics);
        }
        if (m_recorder && m_recording && !batch.empty())
            m_recording = m_recorder->record(batch);
        return stop;
    }

    const TrainingRunRequest &m_request;
    Inbox &m_inbox;
    engine::MetricsQueue &m_queue;
    ProgressLine m_progress;
    std::optional<engine::RunRecorder> m_recorder;
    engine::Status m_recording = engine::Status::success();
    std::chrono::steady_clock::time_point m_started;
    std::int64_t m_firstStep = 1;
};

engine::TrainerCallbacks callbacksInto(Inbox &inbox, engine::MetricsQueue *queue)
{
    engine::TrainerCallbacks callbacks;
    callbacks.metrics = queue;
    callbacks.started = [&inbox](const engine::TrainingPlan &plan) {
        std::lock_guard lock(inbox.mutex);
        inbox.plan = plan;
    };
    callbacks.checkpointSaved = [&inbox](const engine::CheckpointRecord &record) {
        std::lock_guard lock(inbox.mutex);
        inbox.checkpoints.push_back(record);
    };
    callbacks.log = [&inbox](const std::string &note) {
        std::lock_guard lock(inbox.mutex);
        inbox.notes.push_back(note);
    };
    return callbacks;
}

} // namespace

MetricsWriter::MetricsWriter(const QString &path)
{
    if (path.isEmpty())
        return;
    m_file = path == QLatin1String("-") ? stdout : std::fopen(path.toLocal8Bit().constData(), "w");
    if (!m_file)
        throw engine::Error("cannot write metrics file '" + path.toStdString()
            + "' (hint: check that its folder exists and is writable)");
}

MetricsWriter::~MetricsWriter()
{
    if (m_file && m_file != stdout)
        std::fclose(m_file);
}

void MetricsWriter::writeLine(const QByteArray &json)
{
    if (!m_file)
        return;
    const QByteArray line = json + '\n';
    std::fwrite(line.constData(), 1, static_cast<std::size_t>(line.size()), m_file);
    std::fflush(m_file);
}

TrainingRunResult runTraining(const TrainingRunRequest &request)
{
    // --- the worker thread ---------------------------------------------------------------------------
    Inbox inbox;
    engine::MetricsQueue queue;
    engine::TrainingControl control;
    const engine::TrainerCallbacks callbacks
        = callbacksInto(inbox, request.options.distributed.isLeader() ? &queue : nullptr);
    std::optional<engine::Result<engine::TrainingOutcome>> outcome;
    std::atomic<bool> done{ false };
    std::thread worker([&] {
        outcome.emplace(engine::Trainer::run(request.settings, request.options, callbacks, control));
        done = true;
    });

    // --- this thread: drain, show, record ------------------------------------------------------------
    g_interrupts = 0;
    auto previousHandler = std::signal(SIGINT, onInterrupt);
    Drain drain(request, inbox, queue);
    TrainingRunResult result;
    QString rankFailure; // a rank the launcher started that died
    while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (g_interrupts > 0 && !result.interrupted) {
            result.interrupted = true;
            drain.progress().note(QStringLiteral("stopping after a checkpoint (Ctrl-C again quits at once)"));
            control.requestStop();
        }
        if (request.ranks && rankFailure.isEmpty() && !(rankFailure = request.ranks->failure()).isEmpty())
            control.requestStop(); // ends a rendezvous still waiting for it; a collective notices by itself
        const std::string stop = drain.pump();
        if (!stop.empty() && result.stopReason.empty()) {
            result.stopReason = stop;
            drain.progress().note(QStringLiteral("stopping: %1").arg(fromStd(stop)));
            control.requestStop();
        }
    }
    worker.join();
    (void)drain.pump();
    if (request.ranks) {
        request.ranks->finish(outcome->isOk() ? 60000 : 5000);
        if (rankFailure.isEmpty())
            rankFailure = request.ranks->failure();
    }
    std::signal(SIGINT, previousHandler);
    drain.progress().show(true);
    if (!request.quiet)
        std::fprintf(stderr, "\n");
    result.seconds = drain.elapsed();

    result.outcome = std::move(*outcome);
    if (!result.outcome.isOk() && !rankFailure.isEmpty())
        result.outcome = engine::Status::failure(rankFailure.toStdString() + "; then: " + result.outcome.message());
    else if (result.outcome.isOk() && result.outcome->end == engine::RunEnd::Interrupted && !rankFailure.isEmpty())
        result.outcome->message = rankFailure.toStdString() + "; " + result.outcome->message;
    drain.finish(result);
    return result;
}

} // namespace cli

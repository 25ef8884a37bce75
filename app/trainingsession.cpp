#include "app/trainingsession.h"

#include "app/qtstrings.h"

#include "app/projectdocument.h"
#include "app/ranklauncher.h"
#include "app/trainingworker.h"
#include "engine/core/atomicfile.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QPointer>
#include <QThread>
#include <QTimer>

#include <thread>

#include <algorithm>

namespace app {

namespace {

using app::fromStd;

} // namespace

TrainingSession::TrainingSession(ProjectDocument *document, QObject *parent)
    : QObject(parent), m_document(document)
{
}

TrainingSession::~TrainingSession()
{
    if (m_control) {
        m_control->requestStop();
        m_control->resume();
    }
    joinThread();
}

void TrainingSession::joinThread()
{
    if (!m_thread)
        return;
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

QString TrainingSession::stateName(State state)
{
    switch (state) {
    case State::Idle: return tr("Idle");
    case State::Loading: return tr("Loading");
    case State::Running: return tr("Training");
    case State::Paused: return tr("Paused");
    case State::Stopping: return tr("Stopping");
    }
    return {};
}

QString TrainingSession::defaultRunName(const engine::RunSettings &settings)
{
    QString name = tr("lr %1 · r %2").arg(settings.optimizer.learningRate, 0, 'g', 3).arg(settings.lora.rank);
    if (settings.optimizer.loraPlusRatio != 1.0)
        name += tr(" · LoRA+ λ %1").arg(settings.optimizer.loraPlusRatio, 0, 'g', 4);
    if (settings.lora.dora)
        name += tr(" · DoRA");
    return name;
}

QString TrainingSession::start(const QString &runName, qint64 resumeRunId)
{
    return startRun(m_document->settings(), runName, resumeRunId);
}

QString TrainingSession::startWith(const engine::RunSettings &settings, const QString &runName)
{
    return startRun(settings, runName, 0);
}

QString TrainingSession::startRun(const engine::RunSettings &settings, const QString &runName, qint64 resumeRunId)
{
    if (isActive())
        return tr("A run is already in progress.");
    engine::ProjectStore *store = m_document->store();
    if (!store)
        return tr("Save the project first: runs are recorded in the project file.");
    if (store->isReadOnly())
        return tr("The project is read-only: %1").arg(fromStd(store->readOnlyReason()));

    engine::TrainOptions options;
    m_settings = settings;
    m_runName = runName.isEmpty() ? defaultRunName(m_settings) : runName;
    if (resumeRunId > 0) {
        const auto run = store->run(resumeRunId);
        const auto checkpoint = store->lastCheckpoint(resumeRunId);
        if (!run || !checkpoint)
            return fromStd(run ? checkpoint.message() : run.message());
        if (!checkpoint.value())
            return tr("Run %1 has no checkpoint to resume from.").arg(resumeRunId);
        auto stored = engine::RunSettings::fromDocument(run->configJson, store->path(), store->folder());
        if (!stored)
            return fromStd(stored.message());
        m_settings = std::move(stored).value();
        m_runName = fromStd(run->name);
        options.resumeFrom = checkpoint.value()->path;
    }
    if (const engine::Status status = m_settings.validate(); !status)
        return fromStd(status.message());

    m_resumeRunId = resumeRunId;
    // A new run gets <project>.runs/run-<UTC time>, as `lorafit-cli train` names it; a resumed
    // run continues in the folder of its checkpoint (wherever it was started).
    const QString folder = resumeRunId > 0 ? QFileInfo(QString::fromStdString(options.resumeFrom)).absolutePath()
                                           : fromStd(engine::newRunFolder(m_document->runsFolder().toStdString()));
    options.outputFolder = folder.toStdString();
    if (!QDir().mkpath(folder))
        return tr("Cannot create the run folder '%1'.").arg(folder);

    engine::RunSettings trained = m_settings; // the threads shared out among the processes
    if (const QString failed = startRanks(folder, trained, options); !failed.isEmpty())
        return failed;

    QPointer<TrainingSession> self(this);
    m_queue = std::make_unique<engine::MetricsQueue>([self] {
        QMetaObject::invokeMethod(self.data(), [self] { if (self) self->drainMetrics(); }, Qt::QueuedConnection);
    });
    m_control = std::make_unique<engine::TrainingControl>();
    m_recorder = std::make_unique<engine::RunRecorder>(*store);
    m_recording = false;
    m_runId = 0;
    m_plan = {};
    m_last.clear();

    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("training"));
    auto *worker = new TrainingWorker(this, trained, options, m_queue.get(), m_control.get());
    worker->moveToThread(m_thread);
    connect(m_thread, &QThread::started, worker, &TrainingWorker::run);
    connect(m_thread, &QThread::finished, worker, &QObject::deleteLater);
    m_clock.start();
    m_finishedElapsedMs = 0;
    setState(State::Loading);
    m_thread->start();
    return {};
}

void TrainingSession::pause()
{
    if (m_state != State::Running)
        return;
    m_control->pause();
    setState(State::Paused);
}

void TrainingSession::resume()
{
    if (m_state != State::Paused)
        return;
    m_control->resume();
    setState(State::Running);
}

void TrainingSession::stop()
{
    if (!isActive() || m_state == State::Stopping)
        return;
    m_control->requestStop();
    m_control->resume();
    setState(State::Stopping);
}

qint64 TrainingSession::elapsedMs() const
{
    return m_clock.isValid() && isActive() ? m_clock.elapsed() : m_finishedElapsedMs;
}

const engine::StepMetrics *TrainingSession::lastMetrics() const { return m_last.empty() ? nullptr : &m_last.front(); }

void TrainingSession::onPlan(const engine::TrainingPlan &plan)
{
    m_plan = plan;
    auto id = m_recorder->begin(m_runName.toStdString(), m_settings, plan, m_resumeRunId);
    if (id) {
        m_runId = id.value();
        m_recording = true;
        m_document->notifyRunsChanged();
    } else {
        onLog(tr("The run cannot be recorded in the project: %1").arg(fromStd(id.message())));
    }
    Q_EMIT planReady(plan);
}

void TrainingSession::drainMetrics()
{
    if (!m_queue)
        return;
    std::vector<engine::StepMetrics> batch = m_queue->drain();
    if (batch.empty())
        return;
    if (m_recording)
        if (const engine::Status status = m_recorder->record(batch); !status)
            onLog(tr("Metrics not saved: %1").arg(fromStd(status.message())));
    m_last.assign(1, batch.back());
    Q_EMIT metricsArrived(batch);
}

void TrainingSession::onCheckpoint(const engine::CheckpointRecord &record)
{
    if (m_recording)
        if (const engine::Status status = m_recorder->checkpoint(record); !status)
            onLog(tr("Checkpoint not recorded: %1").arg(fromStd(status.message())));
    Q_EMIT checkpointSaved(record.step, fromStd(record.path));
}

void TrainingSession::onEngineState(engine::TrainingState state)
{
    switch (state) {
    case engine::TrainingState::Loading: setState(State::Loading); break;
    case engine::TrainingState::Running:
        if (m_state != State::Stopping)
            setState(m_control->isPaused() ? State::Paused : State::Running);
        break;
    case engine::TrainingState::Paused:
        if (m_state != State::Stopping)
            setState(State::Paused);
        break;
    case engine::TrainingState::Stopping: setState(State::Stopping); break;
    case engine::TrainingState::Finished: break; // onFinished follows
    }
}

void TrainingSession::onLog(const QString &line) { Q_EMIT logMessage(line); }

void TrainingSession::onFinished(const engine::TrainingOutcome &outcome, const QString &error)
{
    m_finishedElapsedMs = m_clock.isValid() ? m_clock.elapsed() : 0;
    drainMetrics();
    const bool ok = error.isEmpty() && outcome.end != engine::RunEnd::Diverged
        && outcome.end != engine::RunEnd::Interrupted;
    if (m_ranks) {
        m_ranks->finish(ok ? 10000 : 0);
        if (m_rankFailure.isEmpty())
            m_rankFailure = m_ranks->failure();
        m_ranks.reset();
        m_rankWatch->stop();
    }
    QString message = error.isEmpty() ? fromStd(outcome.message) : error;
    if (!ok && !m_rankFailure.isEmpty())
        message = m_rankFailure + QStringLiteral("; ") + message;
    engine::TrainingOutcome recorded = outcome;
    recorded.message = message.toStdString();
    if (m_recording) {
        const engine::Status status = error.isEmpty() ? m_recorder->finish(recorded) : m_recorder->fail(message.toStdString());
        if (!status)
            onLog(tr("The run's end was not recorded: %1").arg(fromStd(status.message())));
    }
    joinThread();
    m_queue.reset();
    m_control.reset();
    m_recorder.reset();
    m_recording = false;
    setState(State::Idle);
    m_document->notifyRunsChanged();
    if (message != fromStd(outcome.message)) // the trainer has logged its own outcome line already
        onLog(message);
    Q_EMIT finished(ok, message);
}

// Data parallel (training.processes > 1): this process is rank 0 and records;
// lorafit-cli trains the other ranks from the same settings, on this machine.
QString TrainingSession::startRanks(const QString &folder, engine::RunSettings &settings, engine::TrainOptions &options)
{
    m_rankFailure.clear();
    const int processes = settings.training.processes;
    if (processes <= 1)
        return {};
    const QString cli = siblingCliPath();
    if (cli.isEmpty())
        return tr("Training in %1 processes needs lorafit-cli beside %2 (hint: install both, or set Processes to 1).")
            .arg(processes)
            .arg(QCoreApplication::applicationFilePath());
    if (settings.training.device == "cpu" && settings.training.threads == 0)
        settings.training.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / processes);
    const QString document = QDir(folder).filePath(QStringLiteral("rank-settings.json"));
    const engine::Status written = engine::guard(
        [&] { engine::writeFileAtomically(document.toStdString(), settings.toDocument()); });
    if (!written)
        return fromStd(written.message());
    engine::DistributedConfig config;
    config.worldSize = processes;
    config.masterPort = freeLocalPort();
    QStringList arguments{ QStringLiteral("train"), document, QStringLiteral("--quiet") };
    if (settings.training.threads > 0)
        arguments << QStringLiteral("--threads") << QString::number(settings.training.threads);
    m_ranks = std::make_unique<RankLauncher>();
    if (const engine::Status started = m_ranks->start(cli, arguments, config, processes, folder); !started) {
        m_ranks.reset();
        return fromStd(started.message());
    }
    options.distributed = config;
    if (!m_rankWatch) {
        m_rankWatch = new QTimer(this);
        connect(m_rankWatch, &QTimer::timeout, this, &TrainingSession::watchRanks);
    }
    m_rankWatch->start(500);
    onLog(tr("training in %1 processes: this one and %2 lorafit-cli rank(s), logs in %3")
              .arg(processes)
              .arg(processes - 1)
              .arg(folder));
    return {};
}

// A rank that dies ends the run: the others notice in their next collective;
// a stop request also ends a rendezvous still waiting for it.
void TrainingSession::watchRanks()
{
    if (!m_ranks || !m_rankFailure.isEmpty())
        return;
    m_rankFailure = m_ranks->failure();
    if (m_rankFailure.isEmpty())
        return;
    onLog(m_rankFailure);
    m_control->requestStop();
    m_control->resume();
}

void TrainingSession::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace app

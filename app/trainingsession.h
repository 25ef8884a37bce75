// TrainingSession: one training run at a time for a ProjectDocument. start()
// moves a TrainingWorker to a fresh QThread that runs engine::Trainer::run;
// the trainer's MetricsQueue wakes this object (a queued call, only when the
// queue goes from empty to non-empty), and the drain records the whole batch
// into the project file with a RunRecorder (one transaction) and emits one
// signal. The main thread never waits on training, except in the destructor,
// which stops the run and joins its thread (STYLE.md §4–5).
#pragma once

#include "engine/train/metricsqueue.h"
#include "engine/train/runrecorder.h"
#include "engine/train/trainer.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include <memory>
#include <vector>

class QThread;
class QTimer;

namespace app {

class ProjectDocument;
class RankLauncher;
class TrainingWorker;

class TrainingSession : public QObject
{
    Q_OBJECT

public:
    enum class State { Idle, Loading, Running, Paused, Stopping };
    Q_ENUM(State)

    explicit TrainingSession(ProjectDocument *document, QObject *parent = nullptr);
    ~TrainingSession() override;

    // Starts a run with the document's settings, or resumes run `resumeRunId`
    // from its last checkpoint with the settings it was started with. The
    // project must have a file. Returns an empty string, or why it cannot start.
    QString start(const QString &runName = {}, qint64 resumeRunId = 0);
    // Starts a new run with `settings` instead of the document's (a sweep's runs).
    QString startWith(const engine::RunSettings &settings, const QString &runName);
    void pause();
    void resume();
    void stop(); // asynchronous: finished() follows once the trainer has saved and returned

    State state() const { return m_state; }
    bool isActive() const { return m_state != State::Idle; }
    qint64 runId() const { return m_runId; }
    const engine::TrainingPlan &plan() const { return m_plan; }
    qint64 elapsedMs() const; // of the current run, else of the last one (0 before any)
    const engine::StepMetrics *lastMetrics() const; // nullptr before the first step

    static QString stateName(State state);
    // "lr 2e-4 · r 8 · LoRA+ λ 16": a readable default run name.
    static QString defaultRunName(const engine::RunSettings &settings);

Q_SIGNALS:
    void planReady(const engine::TrainingPlan &plan);
    void metricsArrived(const std::vector<engine::StepMetrics> &batch);
    void stateChanged(app::TrainingSession::State state);
    void logMessage(const QString &line);
    void checkpointSaved(qint64 step, const QString &path);
    // The run ended: ok = completed or stopped, message = one readable line.
    void finished(bool ok, const QString &message);

private:
    friend class TrainingWorker; // posts the calls below to this thread

    QString startRun(const engine::RunSettings &settings, const QString &runName, qint64 resumeRunId);
    void onPlan(const engine::TrainingPlan &plan);
    void onCheckpoint(const engine::CheckpointRecord &record);
    void onEngineState(engine::TrainingState state);
    void onLog(const QString &line);
    void onFinished(const engine::TrainingOutcome &outcome, const QString &error);
    void drainMetrics();
    void setState(State state);
    void joinThread();
    QString startRanks(const QString &folder, engine::RunSettings &settings, engine::TrainOptions &options);
    void watchRanks();

    ProjectDocument *m_document;
    State m_state = State::Idle;
    QThread *m_thread = nullptr;
    std::unique_ptr<engine::MetricsQueue> m_queue;
    std::unique_ptr<engine::TrainingControl> m_control;
    std::unique_ptr<engine::RunRecorder> m_recorder;
    engine::RunSettings m_settings;
    engine::TrainingPlan m_plan;
    QString m_runName;
    qint64 m_resumeRunId = 0;
    qint64 m_runId = 0;
    bool m_recording = false;
    std::vector<engine::StepMetrics> m_last; // the newest step (size 0 or 1)
    QElapsedTimer m_clock;
    qint64 m_finishedElapsedMs = 0;
    std::unique_ptr<RankLauncher> m_ranks; // the other processes of a data-parallel run
    QTimer *m_rankWatch = nullptr;
    QString m_rankFailure;                 // how one of them ended early
};

} // namespace app

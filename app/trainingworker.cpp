#include "app/trainingworker.h"

#include "app/trainingsession.h"

#include <QPointer>
#include <QThread>

#include <utility>

namespace app {

namespace {

// Runs fn on the session's (main) thread, later; dropped if the session is gone.
template <typename F>
void post(TrainingSession *session, F &&fn)
{
    QMetaObject::invokeMethod(session, std::forward<F>(fn), Qt::QueuedConnection);
}

} // namespace

TrainingWorker::TrainingWorker(TrainingSession *session, engine::RunSettings settings,
                               engine::TrainOptions options, engine::MetricsQueue *metrics,
                               engine::TrainingControl *control)
    : m_session(session), m_settings(std::move(settings)), m_options(std::move(options)), m_metrics(metrics),
      m_control(control)
{
}

engine::TrainerCallbacks TrainingWorker::callbacks()
{
    TrainingSession *session = m_session;
    engine::TrainerCallbacks callbacks;
    callbacks.metrics = m_metrics;
    callbacks.started = [session](const engine::TrainingPlan &plan) {
        post(session, [session, plan] { session->onPlan(plan); });
    };
    callbacks.checkpointSaved = [session](const engine::CheckpointRecord &record) {
        post(session, [session, record] { session->onCheckpoint(record); });
    };
    callbacks.stateChanged = [session](engine::TrainingState state) {
        post(session, [session, state] { session->onEngineState(state); });
    };
    callbacks.log = [session](const std::string &line) {
        post(session, [session, line] { session->onLog(QString::fromStdString(line)); });
    };
    return callbacks;
}

void TrainingWorker::run()
{
    auto result = engine::Trainer::run(m_settings, m_options, callbacks(), *m_control);
    TrainingSession *session = m_session;
    if (result)
        post(session, [session, outcome = std::move(result).value()] { session->onFinished(outcome, {}); });
    else
        post(session, [session, message = result.message()] { session->onFinished({}, QString::fromStdString(message)); });
    QThread::currentThread()->quit();
}

} // namespace app

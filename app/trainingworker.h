// TrainingWorker: the object that lives on a run's QThread and calls
// engine::Trainer::run there. Everything it learns (plan, state, checkpoints,
// log lines, the outcome) is posted to its TrainingSession on the main thread
// as queued calls; metrics go through the MetricsQueue. It never touches the
// project file.
#pragma once

#include "engine/train/trainer.h"

#include <QObject>

namespace app {

class TrainingSession;

class TrainingWorker : public QObject
{
    Q_OBJECT

public:
    TrainingWorker(TrainingSession *session, engine::RunSettings settings, engine::TrainOptions options,
                   engine::MetricsQueue *metrics, engine::TrainingControl *control);

public Q_SLOTS:
    // Runs the whole training; call through the thread's started() signal.
    void run();

private:
    engine::TrainerCallbacks callbacks();

    TrainingSession *m_session;
    engine::RunSettings m_settings;
    engine::TrainOptions m_options;
    engine::MetricsQueue *m_metrics;
    engine::TrainingControl *m_control;
};

} // namespace app

// DashboardPanel: runs and watches training. Start / Pause / Resume / Stop
// drive the TrainingSession; a progress bar with elapsed time, ETA and
// tokens/s; live plots fed by the session's metric batches — train loss (raw
// and smoothed) with eval loss, the learning rates of the A and B groups, the
// gradient norm — and the δ view (DeltaView). Plots redraw at most 10 times a
// second whatever the step rate.
#pragma once

#include "engine/train/smoothedloss.h"
#include "engine/train/trainer.h"

#include <QWidget>

#include <functional>
#include <limits>
#include <vector>

class QGridLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTimer;

namespace app {
class ProjectDocument;
class TrainingSession;
}

namespace ui {

class DeltaView;
class LivePlot;

class DashboardPanel : public QWidget
{
    Q_OBJECT

public:
    DashboardPanel(app::ProjectDocument *document, app::TrainingSession *session, QWidget *parent = nullptr);

    LivePlot *lossPlot() const { return m_loss; }
    LivePlot *learningRatePlot() const { return m_learningRate; }
    LivePlot *gradientPlot() const { return m_gradient; }
    LivePlot *rewardPlot() const { return m_rewards; }     // preference runs: rewards of the two answers
    LivePlot *accuracyPlot() const { return m_accuracy; }  // preference runs: pairs won by the chosen answer
    bool preferencePlotsShown() const;
    qint64 rewardPoints() const;       // steps in the rewards plot
    // Points of the automatic λ's curve for `key` ("all", or a module type) in the rate plot; -1 if none.
    qint64 ratioPoints(const std::string &key) const;
    qint64 evalAccuracyPoints() const; // evaluations in the accuracy plot
    DeltaView *deltaView() const { return m_delta; }
    QPushButton *startButton() const { return m_start; }
    QPushButton *pauseButton() const { return m_pause; }
    QPushButton *stopButton() const { return m_stop; }
    QString statusText() const;
    qint64 lossPoints() const; // raw train-loss points received (all steps drained so far)
    qint64 stepsShown() const { return m_steps; }

    void start();
    // Runs before a start (e.g. saving the project); returning false cancels it.
    void setBeforeStart(std::function<bool()> hook) { m_beforeStart = std::move(hook); }
    void togglePause();

Q_SIGNALS:
    void message(const QString &text); // for the log

private:
    QWidget *buildControls();
    QWidget *buildPlots();
    void onPlan(const engine::TrainingPlan &plan);
    void onMetrics(const std::vector<engine::StepMetrics> &batch);
    void addStep(const engine::StepMetrics &metrics);
    void arrangeCurves(bool preference);
    void addPreference(double step, const engine::PreferenceMetrics &train, const engine::PreferenceMetrics &eval);
    void addRatios(double step, const std::vector<engine::LoraPlusRatio> &ratios);
    void updateButtons();
    void updateProgress();
    void resetPlots();

    app::ProjectDocument *m_document;
    app::TrainingSession *m_session;
    QPushButton *m_start = nullptr;
    QPushButton *m_pause = nullptr;
    QPushButton *m_stop = nullptr;
    QLineEdit *m_runName = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_error = nullptr;
    LivePlot *m_loss = nullptr;
    LivePlot *m_learningRate = nullptr;
    LivePlot *m_gradient = nullptr;
    LivePlot *m_rewards = nullptr;
    QGridLayout *m_curveGrid = nullptr;
    LivePlot *m_accuracy = nullptr;
    DeltaView *m_delta = nullptr;
    QTimer *m_clock = nullptr;
    std::function<bool()> m_beforeStart;
    std::vector<std::string> m_groups; // learning-rate groups, curve order
    std::vector<std::pair<std::string, int>> m_ratioCurves; // automatic λ key -> its curve in the rate plot
    engine::SmoothedLoss m_smoothed; // the displayed "train (smoothed)" curve
    qint64 m_steps = 0;
    qint64 m_totalSteps = 0;
    qint64 m_firstStep = 1;
    double m_tokensPerSecond = 0.0;
    int m_ranks = 1;               // processes of the run (data parallel)
    double m_allReduceShare = 0.0; // the newest step's all-reduce time / step time
    double m_lastLoss = 0.0;
    double m_lastAccuracy = std::numeric_limits<double>::quiet_NaN(); // preference runs
};

} // namespace ui

#include "ui/panels/dashboardpanel.h"

#include "ui/panels/deltaview.h"
#include "ui/plots/liveplot.h"
#include "ui/plots/matrixgroups.h"

#include "app/projectdocument.h"
#include "app/trainingsession.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ui {

namespace {


QString formatDuration(qint64 ms)
{
    const qint64 s = ms / 1000;
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3").arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

} // namespace

DashboardPanel::DashboardPanel(app::ProjectDocument *document, app::TrainingSession *session, QWidget *parent)
    : QWidget(parent), m_document(document), m_session(session)
{
    setObjectName(QStringLiteral("dashboardPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildControls());
    layout->addWidget(buildPlots(), 1);

    m_clock = new QTimer(this);
    m_clock->setInterval(500);
    connect(m_clock, &QTimer::timeout, this, &DashboardPanel::updateProgress);
    connect(m_session, &app::TrainingSession::planReady, this, &DashboardPanel::onPlan);
    connect(m_session, &app::TrainingSession::metricsArrived, this, &DashboardPanel::onMetrics);
    connect(m_session, &app::TrainingSession::stateChanged, this, [this] {
        updateButtons();
        updateProgress();
    });
    connect(m_session, &app::TrainingSession::finished, this, [this](bool ok, const QString &text) {
        m_error->setText(ok ? QString() : text);
        m_error->setVisible(!ok);
    });
    connect(m_document, &app::ProjectDocument::projectChanged, this, &DashboardPanel::resetPlots);
    updateButtons();
    updateProgress();
}

QWidget *DashboardPanel::buildControls()
{
    auto *box = new QWidget(this);
    auto *grid = new QGridLayout(box);
    grid->setContentsMargins(0, 0, 0, 0);
    m_start = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Start"), box);
    m_start->setObjectName(QStringLiteral("start"));
    m_start->setToolTip(tr("Start a new run with these settings (Ctrl+R)"));
    m_pause = new QPushButton(style()->standardIcon(QStyle::SP_MediaPause), tr("&Pause"), box);
    m_pause->setObjectName(QStringLiteral("pause"));
    m_stop = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("S&top"), box);
    m_stop->setObjectName(QStringLiteral("stop"));
    m_stop->setToolTip(tr("Stop after the current step; a checkpoint is saved"));
    m_runName = new QLineEdit(box);
    m_runName->setObjectName(QStringLiteral("runName"));
    m_runName->setPlaceholderText(tr("run name (default: the key settings)"));
    m_progress = new QProgressBar(box);
    m_progress->setObjectName(QStringLiteral("progress"));
    m_progress->setFormat(tr("step %v of %m"));
    m_status = new QLabel(box);
    m_status->setObjectName(QStringLiteral("trainingStatus"));
    m_error = new QLabel(box);
    m_error->setObjectName(QStringLiteral("trainingError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color: #d0312d;"));
    m_error->hide();
    grid->addWidget(m_start, 0, 0);
    grid->addWidget(m_pause, 0, 1);
    grid->addWidget(m_stop, 0, 2);
    grid->addWidget(m_runName, 0, 3);
    grid->addWidget(m_progress, 1, 0, 1, 4);
    grid->addWidget(m_status, 2, 0, 1, 4);
    grid->addWidget(m_error, 3, 0, 1, 4);
    grid->setColumnStretch(3, 1);
    connect(m_start, &QPushButton::clicked, this, &DashboardPanel::start);
    connect(m_pause, &QPushButton::clicked, this, &DashboardPanel::togglePause);
    connect(m_stop, &QPushButton::clicked, m_session, &app::TrainingSession::stop);
    return box;
}

QWidget *DashboardPanel::buildPlots()
{
    auto *tabs = new QTabWidget(this);
    tabs->setObjectName(QStringLiteral("dashboardTabs"));
    auto *curves = new QWidget(tabs);
    auto *grid = new QGridLayout(curves);
    grid->setContentsMargins(0, 4, 0, 0);
    m_loss = new LivePlot(tr("Loss"), curves);
    m_loss->setAxisLabels(tr("step"), tr("cross-entropy"));
    m_loss->addCurve(tr("train"), LivePlot::palette(0).lighter(150), false);
    m_loss->addCurve(tr("train (smoothed)"), LivePlot::palette(0));
    m_loss->addCurve(tr("eval"), LivePlot::palette(1), false, true);
    m_learningRate = new LivePlot(tr("Learning rate"), curves);
    m_learningRate->setAxisLabels(tr("step"), tr("rate"));
    m_gradient = new LivePlot(tr("Gradient norm (before clipping)"), curves);
    m_gradient->setAxisLabels(tr("step"), tr("‖g‖"));
    m_gradient->addCurve(tr("all"), LivePlot::palette(0));
    m_gradient->addCurve(tr("A matrices"), LivePlot::palette(2), true);
    m_gradient->addCurve(tr("B matrices"), LivePlot::palette(3), true);
    // Preference runs (DPO, ORPO): the answers' rewards and the pairs won, beside the loss.
    m_rewards = new LivePlot(tr("Rewards"), curves);
    m_rewards->setObjectName(QStringLiteral("rewardPlot"));
    m_rewards->setAxisLabels(tr("step"), tr("reward"));
    m_rewards->addCurve(tr("chosen"), LivePlot::palette(2));
    m_rewards->addCurve(tr("rejected"), LivePlot::palette(3));
    m_rewards->addCurve(tr("margin (eval)"), LivePlot::palette(1), false, true);
    m_accuracy = new LivePlot(tr("Preference accuracy"), curves);
    m_accuracy->setObjectName(QStringLiteral("accuracyPlot"));
    m_accuracy->setAxisLabels(tr("step"), tr("pairs won by the chosen answer"));
    m_accuracy->addCurve(tr("train"), LivePlot::palette(0));
    m_accuracy->addCurve(tr("eval"), LivePlot::palette(1), false, true);
    m_curveGrid = grid;
    for (int column = 0; column < 4; ++column)
        grid->setColumnStretch(column, 1);
    arrangeCurves(false);
    grid->setRowStretch(0, 3);
    grid->setRowStretch(1, 2);
    tabs->addTab(curves, tr("Loss and rates"));
    m_delta = new DeltaView(tabs);
    tabs->addTab(m_delta, tr("Adapter updates (δA, δB)"));
    return tabs;
}

void DashboardPanel::start()
{
    m_error->hide();
    if (m_session->isActive() || (m_beforeStart && !m_beforeStart()))
        return;
    const QString error = m_session->start(m_runName->text().trimmed());
    if (!error.isEmpty()) {
        m_error->setText(error);
        m_error->show();
        Q_EMIT message(error);
    }
}

void DashboardPanel::togglePause()
{
    if (m_session->state() == app::TrainingSession::State::Paused)
        m_session->resume();
    else
        m_session->pause();
}

void DashboardPanel::resetPlots()
{
    m_loss->clearData();
    m_gradient->clearData();
    m_rewards->clearData();
    m_accuracy->clearData();
    const bool preference = m_document->settings().training.preference();
    arrangeCurves(preference);
    m_loss->setAxisLabels(tr("step"), preference ? tr("%1 loss").arg(QString::fromStdString(
                                                       m_document->settings().training.objective).toUpper())
                                                 : tr("cross-entropy"));
    m_lastAccuracy = std::numeric_limits<double>::quiet_NaN();
    m_learningRate->removeCurves();
    m_groups.clear();
    m_ratioCurves.clear();
    m_delta->setMatrixLayout({});
    m_smoothed.reset();
    m_steps = 0;
    m_totalSteps = 0;
    m_tokensPerSecond = 0.0;
    m_ranks = 1;
    m_allReduceShare = 0.0;
}

void DashboardPanel::onPlan(const engine::TrainingPlan &plan)
{
    resetPlots();
    m_totalSteps = plan.totalSteps;
    m_firstStep = plan.firstStep;
    m_ranks = plan.ranks;
    m_delta->setMatrixLayout(layoutFromNames(plan.matrixNames));
    updateProgress();
}

void DashboardPanel::onMetrics(const std::vector<engine::StepMetrics> &batch)
{
    for (const engine::StepMetrics &metrics : batch)
        addStep(metrics);
    updateProgress();
}

void DashboardPanel::addStep(const engine::StepMetrics &m)
{
    const double step = double(m.step);
    if (!m.skipped && std::isfinite(m.loss)) {
        m_smoothed.add(m.loss);
        m_loss->append(0, step, m.loss);
        m_loss->append(1, step, m_smoothed.value());
        m_lastLoss = m.loss;
    }
    if (std::isfinite(m.evalLoss))
        m_loss->append(2, step, m.evalLoss);
    for (const engine::GroupLearningRate &group : m.learningRates) {
        auto it = std::find(m_groups.begin(), m_groups.end(), group.group);
        if (it == m_groups.end()) {
            m_groups.push_back(group.group);
            m_learningRate->addCurve(tr("group %1").arg(QString::fromStdString(group.group)), LivePlot::palette(int(m_groups.size()) - 1));
            it = m_groups.end() - 1;
        }
        m_learningRate->append(int(it - m_groups.begin()), step, group.lr);
    }
    addRatios(step, m.loraPlusRatios);
    addPreference(step, m.preference, m.evalPreference);
    m_gradient->append(0, step, m.gradNorm);
    m_gradient->append(1, step, m.gradNormA);
    m_gradient->append(2, step, m.gradNormB);
    std::vector<float> dA, dB, d1, d2;
    for (const engine::MatrixMetrics &matrix : m.matrices) {
        dA.push_back(matrix.deltaANorm);
        dB.push_back(matrix.deltaBNorm);
        d1.push_back(matrix.delta1);
        d2.push_back(matrix.delta2);
    }
    m_delta->addStep(step, dA, dB, d1, d2);
    m_steps = m.step;
    m_totalSteps = m.totalSteps;
    m_tokensPerSecond = m.tokensPerSecond;
    m_ranks = m.ranks;
    m_allReduceShare = m.stepSeconds > 0.0 ? m.allReduceSeconds / m.stepSeconds : 0.0;
}

// The automatic λ on the rate plot's right axis: one curve, or one per module type.
void DashboardPanel::addRatios(double step, const std::vector<engine::LoraPlusRatio> &ratios)
{
    for (const engine::LoraPlusRatio &ratio : ratios) {
        auto it = std::find_if(m_ratioCurves.begin(), m_ratioCurves.end(),
            [&](const auto &curve) { return curve.first == ratio.key; });
        if (it == m_ratioCurves.end()) {
            const QString name = ratio.key == engine::kGlobalRatioKey ? tr("λ (automatic)") : tr("λ %1").arg(QString::fromStdString(ratio.key));
            const int palette = int(m_groups.size() + m_ratioCurves.size());
            m_ratioCurves.emplace_back(ratio.key, m_learningRate->addRightAxisCurve(name, LivePlot::palette(palette), tr("λ")));
            it = m_ratioCurves.end() - 1;
        }
        m_learningRate->append(it->second, step, ratio.ratio);
    }
}

// Loss over the whole width, or (preference runs) loss, rewards and accuracy side by side.
void DashboardPanel::arrangeCurves(bool preference)
{
    for (QWidget *plot : {static_cast<QWidget *>(m_loss), static_cast<QWidget *>(m_rewards),
                          static_cast<QWidget *>(m_accuracy), static_cast<QWidget *>(m_learningRate),
                          static_cast<QWidget *>(m_gradient)})
        m_curveGrid->removeWidget(plot);
    m_rewards->setVisible(preference);
    m_accuracy->setVisible(preference);
    m_curveGrid->addWidget(m_loss, 0, 0, 1, preference ? 2 : 4);
    if (preference) {
        m_curveGrid->addWidget(m_rewards, 0, 2);
        m_curveGrid->addWidget(m_accuracy, 0, 3);
    }
    m_curveGrid->addWidget(m_learningRate, 1, 0, 1, 2);
    m_curveGrid->addWidget(m_gradient, 1, 2, 1, 2);
}

void DashboardPanel::addPreference(double step, const engine::PreferenceMetrics &train,
                                   const engine::PreferenceMetrics &eval)
{
    if (std::isfinite(train.rewardChosen)) {
        m_rewards->append(0, step, train.rewardChosen);
        m_rewards->append(1, step, train.rewardRejected);
        m_accuracy->append(0, step, train.accuracy);
    }
    if (std::isfinite(eval.rewardMargin)) {
        m_rewards->append(2, step, eval.rewardMargin);
        m_accuracy->append(1, step, eval.accuracy);
        m_lastAccuracy = eval.accuracy;
    }
}

void DashboardPanel::updateButtons()
{
    using State = app::TrainingSession::State;
    const State state = m_session->state();
    m_start->setEnabled(state == State::Idle);
    m_runName->setEnabled(state == State::Idle);
    m_pause->setEnabled(state == State::Running || state == State::Paused);
    m_pause->setText(state == State::Paused ? tr("&Resume") : tr("&Pause"));
    m_pause->setIcon(style()->standardIcon(state == State::Paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    m_stop->setEnabled(state != State::Idle && state != State::Stopping);
    if (state == State::Idle)
        m_clock->stop();
    else
        m_clock->start();
}

void DashboardPanel::updateProgress()
{
    m_progress->setMaximum(int(std::max<qint64>(1, m_totalSteps)));
    m_progress->setValue(int(std::min(m_steps, std::max<qint64>(1, m_totalSteps))));
    const qint64 elapsed = m_session->elapsedMs();
    const qint64 done = m_steps - m_firstStep + 1;
    QString eta = QStringLiteral("—");
    if (done > 0 && m_totalSteps > m_steps && elapsed > 0)
        eta = formatDuration(qint64(double(elapsed) / double(done) * double(m_totalSteps - m_steps)));
    QString text = tr("%1 · elapsed %2 · ETA %3 · %4 tokens/s")
                       .arg(app::TrainingSession::stateName(m_session->state()), formatDuration(elapsed), eta)
                       .arg(m_tokensPerSecond, 0, 'f', 0);
    if (m_ranks > 1) // data parallel: the rate of each process and what summing their gradients costs
        text += tr(" (%1 processes, %2 each; all-reduce %3 % of the step)")
                    .arg(m_ranks)
                    .arg(m_tokensPerSecond / m_ranks, 0, 'f', 0)
                    .arg(100.0 * m_allReduceShare, 0, 'f', 1);
    if (m_steps > 0)
        text += tr(" · loss %1").arg(m_lastLoss, 0, 'f', 4);
    if (std::isfinite(m_lastAccuracy))
        text += tr(" · eval preference accuracy %1 %").arg(100.0 * m_lastAccuracy, 0, 'f', 1);
    m_status->setText(text);
}

qint64 DashboardPanel::lossPoints() const { return m_loss->series(0).rawCount(); }

qint64 DashboardPanel::ratioPoints(const std::string &key) const
{
    for (const auto &[name, curve] : m_ratioCurves)
        if (name == key)
            return m_learningRate->series(curve).rawCount();
    return -1;
}

bool DashboardPanel::preferencePlotsShown() const { return m_rewards->isVisible() && m_accuracy->isVisible(); }

qint64 DashboardPanel::rewardPoints() const { return m_rewards->series(0).rawCount(); }

qint64 DashboardPanel::evalAccuracyPoints() const { return m_accuracy->series(1).rawCount(); }

QString DashboardPanel::statusText() const { return m_status->text(); }

} // namespace ui

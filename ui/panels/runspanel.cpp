#include "ui/panels/runspanel.h"

#include "app/qtstrings.h"

#include "ui/panels/deltaview.h"
#include "ui/panels/sweepdialog.h"
#include "ui/plots/liveplot.h"
#include "ui/plots/matrixgroups.h"

#include "app/metricscsv.h"
#include "app/projectdocument.h"
#include "app/sweepqueue.h"
#include "app/trainingsession.h"
#include "engine/train/runrecorder.h"

#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <set>

namespace ui {

namespace {

using app::fromStd;

enum Column { kName, kStatus, kSteps, kLoss, kEval, kStarted, kNotes, kColumns };

QString lastValue(const engine::ProjectStore &store, qint64 runId, const char *name, bool lowest)
{
    const auto series = store.scalarSeries(runId, name);
    if (!series || series->values.empty())
        return QStringLiteral("—");
    double value = std::nan("");
    for (double v : series->values)
        if (std::isfinite(v))
            value = lowest && std::isfinite(value) ? std::min(value, v) : v;
    return std::isfinite(value) ? QString::number(value, 'f', 4) : QStringLiteral("—");
}

} // namespace

RunsPanel::RunsPanel(app::ProjectDocument *document, app::TrainingSession *session, QWidget *parent)
    : QWidget(parent), m_document(document), m_session(session)
{
    setObjectName(QStringLiteral("runsPanel"));
    auto *layout = new QVBoxLayout(this);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    auto *top = new QWidget(splitter);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(new QLabel(tr("<h2>Runs</h2>"), top));
    m_table = new QTableWidget(0, kColumns, top);
    m_table->setObjectName(QStringLiteral("runTable"));
    m_table->setHorizontalHeaderLabels({tr("Run"), tr("Status"), tr("Steps"), tr("Last loss"), tr("Best eval"), tr("Started"), tr("Notes")});
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(kName, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(kNotes, QHeaderView::Stretch);
    topLayout->addWidget(m_table, 1);
    topLayout->addWidget(buildActions());
    m_empty = new QLabel(tr("No runs yet: set up the model, data and adapter, then press Start on the Training page."), top);
    m_empty->setWordWrap(true);
    topLayout->addWidget(m_empty);

    auto *tabs = new QTabWidget(splitter);
    auto *overlay = new QWidget(tabs);
    auto *overlayLayout = new QVBoxLayout(overlay);
    auto *metricRow = new QHBoxLayout;
    m_metric = new QComboBox(overlay);
    m_metric->setObjectName(QStringLiteral("overlayMetric"));
    m_metric->setSizeAdjustPolicy(QComboBox::AdjustToContents); // "eval_loss" in full
    m_metric->addItem(QStringLiteral("loss"));
    metricRow->addWidget(new QLabel(tr("Metric:"), overlay));
    metricRow->addWidget(m_metric);
    metricRow->addStretch(1);
    overlayLayout->addLayout(metricRow);
    m_overlay = new LivePlot(tr("Selected runs"), overlay);
    m_overlay->setAxisLabels(tr("step"), QString());
    overlayLayout->addWidget(m_overlay, 1);
    tabs->addTab(overlay, tr("Compare runs"));
    m_delta = new DeltaView(tabs);
    tabs->addTab(m_delta, tr("Adapter updates of the run"));
    splitter->addWidget(top);
    splitter->addWidget(tabs);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter);

    connect(m_table, &QTableWidget::itemSelectionChanged, this, &RunsPanel::onSelectionChanged);
    connect(m_metric, &QComboBox::currentTextChanged, this, &RunsPanel::showOverlay);
    connect(m_document, &app::ProjectDocument::runsChanged, this, &RunsPanel::reload);
    connect(m_document, &app::ProjectDocument::projectChanged, this, &RunsPanel::reload);
    connect(m_session, &app::TrainingSession::stateChanged, this, &RunsPanel::updateActions);
    m_sweep = new app::SweepQueue(m_session, m_document, this);
    connect(m_sweep, &app::SweepQueue::finished, this, &RunsPanel::showSweepResults);
    connect(m_document, &app::ProjectDocument::projectChanged, this, [this] { m_bestSweepRun.reset(); });
    reload();
}

QWidget *RunsPanel::buildActions()
{
    auto *row = new QWidget(this);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto button = [&](const QString &text, const QString &name, void (RunsPanel::*slot)()) {
        auto *b = new QPushButton(text, row);
        b->setObjectName(name);
        layout->addWidget(b);
        connect(b, &QPushButton::clicked, this, slot);
        return b;
    };
    m_resume = button(tr("Resume"), QStringLiteral("resumeRun"), &RunsPanel::resumeRun);
    m_rename = button(tr("Rename…"), QStringLiteral("renameRun"), &RunsPanel::renameRun);
    m_notes = button(tr("Notes…"), QStringLiteral("annotateRun"), &RunsPanel::annotateRun);
    m_delete = button(tr("Delete"), QStringLiteral("deleteRun"), &RunsPanel::deleteRuns);
    m_csv = button(tr("Save Metrics as CSV…"), QStringLiteral("exportCsv"), &RunsPanel::exportCsv);
    m_export = new QPushButton(tr("Export Adapter…"), row);
    m_export->setObjectName(QStringLiteral("exportAdapter"));
    layout->addWidget(m_export);
    connect(m_export, &QPushButton::clicked, this, [this] { Q_EMIT exportRequested(selectedRuns().front()); });
    layout->addStretch(1);
    m_sweepButton = new QPushButton(tr("Sweep…"), row);
    m_sweepButton->setObjectName(QStringLiteral("sweepButton"));
    layout->addWidget(m_sweepButton);
    connect(m_sweepButton, &QPushButton::clicked, this, &RunsPanel::showSweepDialog);
    return row;
}

void RunsPanel::reload()
{
    const std::vector<qint64> selected = selectedRuns();
    m_reloading = true;
    m_table->setRowCount(0);
    engine::ProjectStore *store = m_document->store();
    const auto runs = store ? store->runs() : engine::Result<std::vector<engine::RunInfo>>(std::vector<engine::RunInfo>{});
    if (runs) {
        for (const engine::RunInfo &run : runs.value()) {
            const int row = m_table->rowCount();
            m_table->insertRow(row);
            const QStringList cells = {fromStd(run.name), QLatin1String(engine::runStatusName(run.status)),
                                       run.lastStep ? QString::number(*run.lastStep) : QStringLiteral("0"),
                                       lastValue(*store, run.id, engine::metricnames::kLoss, false),
                                       lastValue(*store, run.id, engine::metricnames::kEvalLoss, true),
                                       QDateTime::fromMSecsSinceEpoch(run.startedAtMs).toString(QStringLiteral("yyyy-MM-dd hh:mm")),
                                       fromStd(run.notes)};
            for (int c = 0; c < kColumns; ++c) {
                auto *item = new QTableWidgetItem(cells[c]);
                item->setData(Qt::UserRole, qint64(run.id));
                if (c == kStatus && run.status == engine::RunStatus::Failed)
                    item->setForeground(QColor(0xd0, 0x31, 0x2d));
                m_table->setItem(row, c, item);
            }
        }
    } else {
        report(fromStd(runs.message()));
    }
    m_empty->setVisible(m_table->rowCount() == 0);
    m_reloading = false;
    selectRuns(selected.empty() ? newestRun() : selected); // the comparison plot is never empty for no reason
    onSelectionChanged();
}

int RunsPanel::runCount() const { return m_table->rowCount(); }

std::vector<qint64> RunsPanel::newestRun() const
{
    qint64 newest = -1;
    for (int row = 0; row < m_table->rowCount(); ++row)
        newest = std::max(newest, m_table->item(row, 0)->data(Qt::UserRole).toLongLong());
    return newest < 0 ? std::vector<qint64>{} : std::vector<qint64>{newest};
}

std::vector<qint64> RunsPanel::selectedRuns() const
{
    std::set<qint64> ids;
    for (const QTableWidgetItem *item : m_table->selectedItems())
        ids.insert(item->data(Qt::UserRole).toLongLong());
    return {ids.begin(), ids.end()};
}

void RunsPanel::selectRuns(const std::vector<qint64> &runIds)
{
    m_table->clearSelection();
    for (int row = 0; row < m_table->rowCount(); ++row)
        if (std::count(runIds.begin(), runIds.end(), m_table->item(row, 0)->data(Qt::UserRole).toLongLong()))
            m_table->selectionModel()->select(m_table->model()->index(row, 0),
                                              QItemSelectionModel::Select | QItemSelectionModel::Rows);
}

int RunsPanel::overlayPoints() const
{
    qint64 points = 0;
    for (int i = 0; i < m_overlay->curveCount(); ++i)
        points += m_overlay->series(i).rawCount();
    return int(points);
}

int RunsPanel::overlayCurves() const { return m_overlay->curveCount(); }

QString RunsPanel::overlayCurveName(int curve) const { return m_overlay->graph(curve)->name(); }

void RunsPanel::setMetric(const QString &name) { m_metric->setCurrentText(name); }

void RunsPanel::onSelectionChanged()
{
    if (m_reloading)
        return;
    engine::ProjectStore *store = m_document->store();
    const std::vector<qint64> ids = selectedRuns();
    std::set<QString> names = {QStringLiteral("loss")};
    for (qint64 id : ids)
        if (store)
            if (auto scalars = store->scalarNames(id))
                for (const std::string &name : scalars.value())
                    names.insert(fromStd(name));
    const QString current = m_metric->currentText();
    m_metric->blockSignals(true);
    m_metric->clear();
    for (const QString &name : names)
        m_metric->addItem(name);
    m_metric->setCurrentText(current);
    m_metric->blockSignals(false);
    showOverlay();
    showDelta(ids.size() == 1 ? ids.front() : 0);
    updateActions();
}

void RunsPanel::showOverlay()
{
    m_overlay->removeCurves();
    engine::ProjectStore *store = m_document->store();
    if (!store)
        return;
    const std::string metric = m_metric->currentText().toStdString();
    m_overlay->yAxis->setLabel(m_metric->currentText());
    int index = 0;
    for (qint64 id : selectedRuns()) {
        const auto run = store->run(id);
        const auto series = store->scalarSeries(id, metric);
        if (!run || !series)
            continue;
        const bool best = m_bestSweepRun == id;
        const QColor color = LivePlot::palette(index++);
        const int curve = m_overlay->addCurve(QStringLiteral("%1%2 · %3").arg(best ? tr("★ best · ") : QString()).arg(id).arg(fromStd(run->name)),
                                              color, false, metric == engine::metricnames::kEvalLoss);
        if (best)
            m_overlay->graph(curve)->setPen(QPen(color, 3.5));
        QVector<double> xs, ys;
        for (size_t i = 0; i < series->steps.size(); ++i) {
            xs << double(series->steps[i]);
            ys << series->values[i];
        }
        m_overlay->setCurvePoints(curve, xs, ys);
    }
    m_overlay->refresh();
}

void RunsPanel::showDelta(qint64 runId)
{
    engine::ProjectStore *store = m_document->store();
    const auto names = runId && store ? store->matrixNames(runId) : engine::Result<std::vector<std::string>>(std::vector<std::string>{});
    m_delta->setMatrixLayout(layoutFromNames(names ? names.value() : std::vector<std::string>{}));
    if (!runId || !store || !names)
        return;
    using namespace engine::metricnames;
    const auto dA = store->matrixSeries(runId, kDeltaANorm);
    const auto dB = store->matrixSeries(runId, kDeltaBNorm);
    const auto d1 = store->matrixSeries(runId, kDelta1);
    const auto d2 = store->matrixSeries(runId, kDelta2);
    if (!dA || !dB || dA->steps.size() != dB->steps.size())
        return;
    const size_t count = size_t(dA->matrixCount);
    size_t probe = 0;
    for (size_t i = 0; i < dA->steps.size(); ++i) {
        auto row = [count](const engine::MatrixSeries &s, size_t r) {
            return std::vector<float>(s.values.begin() + long(r * count), s.values.begin() + long((r + 1) * count));
        };
        std::vector<float> p1, p2;
        while (d1 && d2 && probe < d1->steps.size() && d1->steps[probe] < dA->steps[i])
            ++probe;
        if (d1 && d2 && probe < d1->steps.size() && probe < d2->steps.size() && d1->steps[probe] == dA->steps[i]
            && size_t(d1->matrixCount) == count) {
            p1 = row(d1.value(), probe);
            p2 = row(d2.value(), probe);
        }
        m_delta->addStep(double(dA->steps[i]), row(dA.value(), i), row(dB.value(), i), p1, p2);
    }
}

void RunsPanel::updateActions()
{
    const std::vector<qint64> ids = selectedRuns();
    const bool one = ids.size() == 1;
    const bool writable = m_document->store() && !m_document->isReadOnly();
    const bool idle = !m_session->isActive();
    bool resumable = false;
    if (one && writable)
        if (auto run = m_document->store()->run(ids.front()))
            resumable = run->status == engine::RunStatus::Interrupted || run->status == engine::RunStatus::Stopped
                        || run->status == engine::RunStatus::Failed;
    m_resume->setEnabled(resumable && idle);
    m_rename->setEnabled(one && writable);
    m_notes->setEnabled(one && writable);
    m_export->setEnabled(one);
    m_delete->setEnabled(!ids.empty() && writable && idle);
    m_csv->setEnabled(one);
    m_sweepButton->setEnabled(writable && (idle || m_sweep->isRunning()));
    // A disabled button says why.
    const QString selectOne = tr("Select one run in the table");
    const QString readOnly = tr("The project is open read-only");
    const QString training = tr("Not while a run trains");
    m_resume->setToolTip(m_resume->isEnabled() ? tr("Continue the run from its last checkpoint")
                         : !one              ? selectOne
                         : !writable         ? readOnly
                         : !idle             ? training
                                             : tr("Only a stopped, interrupted or failed run can be resumed"));
    m_rename->setToolTip(!one ? selectOne : !writable ? readOnly : tr("Rename the run"));
    m_notes->setToolTip(!one ? selectOne : !writable ? readOnly : tr("Write notes about the run"));
    m_export->setToolTip(!one ? selectOne : tr("Export the run's adapter (PEFT, merged, GGUF)"));
    m_csv->setToolTip(!one ? selectOne : tr("Save every metric of the run as CSV"));
    m_sweepButton->setToolTip(!m_document->store() ? tr("Save the project first: a sweep's runs are recorded in it")
                              : !writable          ? readOnly
                              : !m_sweepButton->isEnabled() ? training
                                                   : tr("Train a grid of settings one run after another and compare them"));
    m_delete->setToolTip(ids.empty() ? tr("Select the runs to delete") : !writable ? readOnly
                         : !idle ? training : tr("Delete the selected runs and their checkpoints"));
}

SweepDialog *RunsPanel::showSweepDialog()
{
    if (!m_sweepDialog)
        m_sweepDialog = new SweepDialog(m_sweep, m_document, this);
    m_sweepDialog->show();
    m_sweepDialog->raise();
    m_sweepDialog->activateWindow();
    return m_sweepDialog;
}

// The sweep's runs in the comparison plot, by eval loss, the best one marked.
void RunsPanel::showSweepResults()
{
    m_bestSweepRun = m_sweep->bestRunId();
    std::vector<qint64> ids;
    for (qint64 id : m_sweep->runIds())
        if (id > 0)
            ids.push_back(id);
    reload();
    selectRuns(ids);
    setMetric(QString::fromLatin1(engine::metricnames::kEvalLoss));
    showOverlay();
    Q_EMIT sweepCompared();
}

void RunsPanel::report(const QString &error)
{
    if (error.isEmpty())
        return;
    Q_EMIT message(error);
    QMessageBox::warning(this, tr("Runs"), error);
}

void RunsPanel::resumeRun()
{
    const auto ids = selectedRuns();
    if (ids.size() == 1)
        report(m_session->start({}, ids.front()));
}

void RunsPanel::renameRun()
{
    const auto ids = selectedRuns();
    if (ids.size() != 1)
        return;
    const auto run = m_document->store()->run(ids.front());
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Rename Run"), tr("Name:"), QLineEdit::Normal,
                                               run ? fromStd(run->name) : QString(), &ok);
    if (!ok)
        return;
    const engine::Status status = m_document->store()->renameRun(ids.front(), name.trimmed().toStdString());
    report(fromStd(status.message()));
    m_document->notifyRunsChanged();
}

void RunsPanel::annotateRun()
{
    const auto ids = selectedRuns();
    if (ids.size() != 1)
        return;
    const auto run = m_document->store()->run(ids.front());
    bool ok = false;
    const QString notes = QInputDialog::getMultiLineText(this, tr("Run Notes"), tr("Notes:"),
                                                         run ? fromStd(run->notes) : QString(), &ok);
    if (!ok)
        return;
    report(fromStd(m_document->store()->setRunNotes(ids.front(), notes.toStdString()).message()));
    m_document->notifyRunsChanged();
}

void RunsPanel::deleteRuns()
{
    const auto ids = selectedRuns();
    if (ids.empty())
        return;
    if (QMessageBox::question(this, tr("Delete Runs"),
                              tr("Delete %n run(s) with their metrics from the project? Checkpoint folders on disk are kept.", nullptr, int(ids.size())))
        != QMessageBox::Yes)
        return;
    for (qint64 id : ids)
        report(fromStd(m_document->store()->deleteRun(id).message()));
    m_document->notifyRunsChanged();
}

void RunsPanel::exportCsv()
{
    const auto ids = selectedRuns();
    if (ids.size() != 1)
        return;
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path = QFileDialog::getSaveFileName(this, tr("Save Metrics"), folder + QStringLiteral("/run-%1.csv").arg(ids.front()),
                                                      tr("CSV files (*.csv)"));
    if (!path.isEmpty())
        report(app::writeRunMetricsCsv(*m_document->store(), ids.front(), path));
}

} // namespace ui

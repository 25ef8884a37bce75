// RunsPanel: the project's runs with status and final metrics. Selecting runs
// overlays a chosen metric of each (LoRA against LoRA+, for example); one
// selected run also shows its δ view. Runs can be resumed (interrupted,
// stopped or failed runs with a checkpoint), renamed, annotated and deleted,
// and their metrics saved as CSV. "Sweep…" trains a grid of settings one run
// after another (app::SweepQueue, shown by a SweepDialog) and then compares
// the sweep's runs here, the best one marked. Reads the project file only on changes.
#pragma once

#include <QWidget>

#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace app {
class ProjectDocument;
class SweepQueue;
class TrainingSession;
}

namespace ui {

class DeltaView;
class LivePlot;
class SweepDialog;

class RunsPanel : public QWidget
{
    Q_OBJECT

public:
    RunsPanel(app::ProjectDocument *document, app::TrainingSession *session, QWidget *parent = nullptr);

    int runCount() const;
    std::vector<qint64> newestRun() const; // the newest run's id, or none
    void selectRuns(const std::vector<qint64> &runIds);
    std::vector<qint64> selectedRuns() const;
    LivePlot *overlayPlot() const { return m_overlay; }
    DeltaView *deltaView() const { return m_delta; }
    void setMetric(const QString &name);
    int overlayPoints() const; // raw points over all overlaid curves
    int overlayCurves() const;
    QString overlayCurveName(int curve) const; // as the legend shows it
    app::SweepQueue *sweepQueue() const { return m_sweep; }
    SweepDialog *showSweepDialog();

Q_SIGNALS:
    void message(const QString &text);
    void exportRequested(qint64 runId); // "Export Adapter…" on one selected run
    void sweepCompared();               // a sweep ended and its runs are in the comparison plot

private:
    QWidget *buildActions();
    void reload();
    void onSelectionChanged();
    void showOverlay();
    void showDelta(qint64 runId);
    void resumeRun();
    void renameRun();
    void annotateRun();
    void deleteRuns();
    void exportCsv();
    void showSweepResults();
    void updateActions();
    void report(const QString &error);

    app::ProjectDocument *m_document;
    app::TrainingSession *m_session;
    QTableWidget *m_table = nullptr;
    QComboBox *m_metric = nullptr;
    LivePlot *m_overlay = nullptr;
    DeltaView *m_delta = nullptr;
    QLabel *m_empty = nullptr;
    QPushButton *m_resume = nullptr;
    QPushButton *m_rename = nullptr;
    QPushButton *m_notes = nullptr;
    QPushButton *m_delete = nullptr;
    QPushButton *m_csv = nullptr;
    QPushButton *m_export = nullptr;
    QPushButton *m_sweepButton = nullptr;
    app::SweepQueue *m_sweep = nullptr;
    SweepDialog *m_sweepDialog = nullptr;
    std::optional<qint64> m_bestSweepRun; // marked in the comparison plot
    bool m_reloading = false;
};

} // namespace ui

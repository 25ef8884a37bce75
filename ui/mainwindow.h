// The main window: a page list (Model, Data, Adapter, Training, Runs,
// Playground) beside
// the stacked panels, a log dock, menus and a status bar with the device,
// memory in use and training state. Panels connect themselves to the project
// document and training session they observe; this class only places them,
// routes dropped files and asks before unsaved changes are lost (STYLE.md §3).
#pragma once

#include "app/demoproject.h"

#include <QMainWindow>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace app {
class ProjectDocument;
class TrainingSession;
}

namespace ui {

class AdapterPanel;
class DashboardPanel;
class DataPanel;
class LogPanel;
class ModelPanel;
class PlaygroundPanel;
class ProjectActions;
class RunsPanel;
class TrainingSettingsPanel;

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    enum Page { ModelPage, DataPage, AdapterPage, TrainingPage, RunsPage, PlaygroundPage };

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    app::ProjectDocument *document() const { return m_document; }
    app::TrainingSession *session() const { return m_session; }
    ProjectActions *projectActions() const { return m_projectActions; }
    ModelPanel *modelPanel() const { return m_model; }
    DataPanel *dataPanel() const { return m_data; }
    AdapterPanel *adapterPanel() const { return m_adapter; }
    TrainingSettingsPanel *trainingSettingsPanel() const { return m_trainingSettings; }
    DashboardPanel *dashboardPanel() const { return m_dashboard; }
    RunsPanel *runsPanel() const { return m_runs; }
    LogPanel *logPanel() const { return m_log; }
    PlaygroundPanel *playgroundPanel() const { return m_playground; }
    void showPage(Page page);
    // What a drop of these paths does: a model folder, a dataset file or a project.
    void openPaths(const QStringList &paths);
    // Opens the export dialog (File → Export Adapter…, Runs page) on run
    // `runId`'s best checkpoint, or on the project's best when runId < 0.
    void showExportDialog(qint64 runId = -1);
    // Opens the demo project (Help → Open Demo Project, and the first start
    // without a project): asks to save unsaved changes, shows the Training
    // page and a one-line hint. An empty path: app::defaultDemoProjectPath().
    // Returns an empty string, or why it could not (also shown in the log).
    QString openDemoProject(const QString &projectPath = {}, app::DemoPreset preset = app::DemoPreset::StyleTransfer);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createPages();
    void createMenus();
    void createStatusBar();
    void showAbout();
    void restoreLayout();
    void updateTitle();
    void updateStatus();

    app::ProjectDocument *m_document = nullptr;
    app::TrainingSession *m_session = nullptr;
    ProjectActions *m_projectActions = nullptr;
    QListWidget *m_pageList = nullptr;
    QStackedWidget *m_pages = nullptr;
    ModelPanel *m_model = nullptr;
    DataPanel *m_data = nullptr;
    AdapterPanel *m_adapter = nullptr;
    TrainingSettingsPanel *m_trainingSettings = nullptr;
    DashboardPanel *m_dashboard = nullptr;
    RunsPanel *m_runs = nullptr;
    PlaygroundPanel *m_playground = nullptr;
    LogPanel *m_log = nullptr;
    QLabel *m_deviceLabel = nullptr;
    QLabel *m_memoryLabel = nullptr;
    QLabel *m_stateLabel = nullptr;
};

} // namespace ui

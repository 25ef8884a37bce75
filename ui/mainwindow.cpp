#include "ui/mainwindow.h"

#include "ui/export/exportdialog.h"
#include "ui/panels/adapterpanel.h"
#include "ui/panels/dashboardpanel.h"
#include "ui/panels/datapanel.h"
#include "ui/panels/logpanel.h"
#include "ui/panels/modelpanel.h"
#include "ui/panels/runspanel.h"
#include "ui/panels/trainingsettingspanel.h"
#include "ui/playground/playgroundpanel.h"
#include "ui/projectactions.h"
#include "ui/resources.h"
#include "ui/theme.h"

#include "app/appsetup.h"
#include "app/demoproject.h"
#include "app/projectdocument.h"
#include "app/trainingsession.h"
#include "engine/core/runtime.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>

namespace ui {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    initResources();
    setObjectName(QStringLiteral("MainWindow"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/lorafit.svg")));
    setAcceptDrops(true);
    m_document = new app::ProjectDocument(this);
    m_session = new app::TrainingSession(m_document, this);
    m_projectActions = new ProjectActions(m_document, m_session, this);

    createPages();
    createMenus();
    createStatusBar();
    restoreLayout();

    connect(m_document, &app::ProjectDocument::projectChanged, this, &MainWindow::updateTitle);
    connect(m_document, &app::ProjectDocument::dirtyChanged, this, &MainWindow::updateTitle);
    connect(m_projectActions, &ProjectActions::message, m_log, &LogPanel::append);
    connect(m_dashboard, &DashboardPanel::message, m_log, &LogPanel::append);
    connect(m_runs, &RunsPanel::message, m_log, &LogPanel::append);
    connect(m_runs, &RunsPanel::exportRequested, this, &MainWindow::showExportDialog);
    connect(m_runs, &RunsPanel::sweepCompared, this, [this] { showPage(RunsPage); });
    connect(m_playground, &PlaygroundPanel::message, m_log, &LogPanel::append);
    connect(m_session, &app::TrainingSession::logMessage, m_log, &LogPanel::append);
    connect(m_session, &app::TrainingSession::stateChanged, this, &MainWindow::updateStatus);
    connect(m_session, &app::TrainingSession::planReady, this, [this] {
        statusBar()->clearMessage(); // the demo's "press Start" hint has been followed
        showPage(TrainingPage);
    });
    connect(m_session, &app::TrainingSession::finished, this,
            [this](bool, const QString &message) { statusBar()->showMessage(message); });
    m_dashboard->setBeforeStart([this] { // a run is recorded in the project file: it needs one
        return m_document->isUntitled() ? m_projectActions->saveAs() : !m_document->isDirty() || m_projectActions->save();
    });
    updateTitle();
}

MainWindow::~MainWindow() = default;

void MainWindow::createPages()
{
    m_model = new ModelPanel(m_document);
    m_data = new DataPanel(m_document);
    m_adapter = new AdapterPanel(m_document);
    m_trainingSettings = new TrainingSettingsPanel(m_document);
    m_dashboard = new DashboardPanel(m_document, m_session);
    m_runs = new RunsPanel(m_document, m_session);
    m_playground = new PlaygroundPanel(m_document);
    auto *training = new QSplitter(Qt::Horizontal);
    training->addWidget(m_trainingSettings);
    training->addWidget(m_dashboard);
    training->setStretchFactor(1, 1);
    training->setSizes({330, 900});

    m_pages = new QStackedWidget;
    m_pageList = new QListWidget;
    m_pageList->setObjectName(QStringLiteral("pageList"));
    m_pageList->setIconSize(QSize(22, 22));
    m_pageList->setFixedWidth(132);
    const struct { QString name; QWidget *page; QStyle::StandardPixmap icon; } pages[] = {
        {tr("Model"), m_model, QStyle::SP_DriveHDIcon}, {tr("Data"), m_data, QStyle::SP_FileDialogDetailedView},
        {tr("Adapter"), m_adapter, QStyle::SP_FileDialogListView}, {tr("Training"), training, QStyle::SP_MediaPlay},
        {tr("Runs"), m_runs, QStyle::SP_FileDialogContentsView}, {tr("Playground"), m_playground, QStyle::SP_MessageBoxQuestion}};
    for (const auto &page : pages) {
        m_pageList->addItem(new QListWidgetItem(style()->standardIcon(page.icon), page.name));
        m_pages->addWidget(page.page);
    }
    connect(m_pageList, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    m_pageList->setCurrentRow(0);

    auto *central = new QSplitter(Qt::Horizontal);
    central->addWidget(m_pageList);
    central->addWidget(m_pages);
    central->setStretchFactor(1, 1);
    central->setChildrenCollapsible(false);
    setCentralWidget(central);

    m_log = new LogPanel;
    auto *dock = new QDockWidget(tr("Log"), this);
    dock->setObjectName(QStringLiteral("logDock"));
    dock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    resizeDocks({dock}, {110}, Qt::Vertical);
}

void MainWindow::showPage(Page page) { m_pageList->setCurrentRow(int(page)); }

void MainWindow::showExportDialog(qint64 runId)
{
    auto *dialog = new ExportDialog(m_document, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (runId >= 0)
        dialog->selectRun(runId);
    connect(dialog, &ExportDialog::message, m_log, &LogPanel::append);
    dialog->open();
}

QString MainWindow::openDemoProject(const QString &projectPath, app::DemoPreset preset)
{
    if (m_session->isActive())
        return tr("A run is in progress: stop it before opening the demo.");
    if (!m_projectActions->maybeSave())
        return tr("Cancelled.");
    const QString error = app::openDemoProject(
        *m_document, projectPath.isEmpty() ? app::defaultDemoProjectPath(preset) : projectPath, preset);
    if (!error.isEmpty()) {
        m_log->append(tr("Could not open the demo: %1").arg(error));
        statusBar()->showMessage(tr("Could not open the demo (see the log)."));
        return error;
    }
    showPage(TrainingPage);
    m_log->append(app::demoHint(preset));
    statusBar()->showMessage(app::demoHint(preset));
    return {};
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_projectActions->addTo(file);
    file->addSeparator();
    file->addAction(tr("&Export Adapter…"), QKeySequence(tr("Ctrl+E")), this, [this] { showExportDialog(); });
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *training = menuBar()->addMenu(tr("&Training"));
    training->addAction(tr("&Start"), QKeySequence(tr("Ctrl+R")), m_dashboard, &DashboardPanel::start);
    training->addAction(tr("&Pause / Resume"), QKeySequence(tr("Ctrl+P")), m_dashboard, &DashboardPanel::togglePause);
    training->addAction(tr("S&top"), QKeySequence(tr("Ctrl+.")), m_session, &app::TrainingSession::stop);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < m_pageList->count(); ++i)
        view->addAction(m_pageList->item(i)->text(), QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)), this,
                        [this, i] { showPage(Page(i)); });
    view->addSeparator();
    view->addAction(findChild<QDockWidget *>(QStringLiteral("logDock"))->toggleViewAction());
    QMenu *theme = view->addMenu(tr("&Theme"));
    auto *group = new QActionGroup(theme);
    const Theme current = savedTheme();
    for (const auto &[name, value] : {std::pair{tr("Follow the &System"), Theme::System}, std::pair{tr("&Light"), Theme::Light},
                                      std::pair{tr("&Dark"), Theme::Dark}}) {
        QAction *action = theme->addAction(name, this, [value = value] { applyTheme(value); });
        action->setCheckable(true);
        action->setChecked(value == current);
        group->addAction(action);
    }

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("Open &Demo Project"), this, [this] { openDemoProject(); });
    help->addAction(tr("Open D&PO Demo Project"), this,
                    [this] { openDemoProject({}, app::DemoPreset::Preference); });
    help->addSeparator();
    QAction *about = help->addAction(tr("&About Lorafit"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::createStatusBar()
{
    const engine::RuntimeInfo info = engine::runtimeInfo();
    const engine::DeviceInfo &best = info.devices.back();
    m_deviceLabel = new QLabel(QString::fromStdString(best.name), this);
    m_deviceLabel->setObjectName(QStringLiteral("deviceLabel"));
    QString tip = tr("LibTorch %1; CUDA in this build: %2")
                      .arg(QString::fromStdString(info.torchVersion), info.cudaBuilt ? tr("yes") : tr("no"));
    if (!info.blas.empty())
        tip += tr("; BLAS: %1").arg(QString::fromStdString(info.blas));
    if (!info.blasWarning.empty()) {
        tip += QStringLiteral("\n") + QString::fromStdString(info.blasWarning);
        m_deviceLabel->setText(m_deviceLabel->text() + QStringLiteral(" ⚠"));
    }
    m_deviceLabel->setToolTip(tip);
    m_memoryLabel = new QLabel(this);
    m_memoryLabel->setObjectName(QStringLiteral("memoryLabel"));
    m_memoryLabel->setToolTip(tr("Memory this process uses"));
    m_stateLabel = new QLabel(this);
    m_stateLabel->setObjectName(QStringLiteral("stateLabel"));
    statusBar()->addPermanentWidget(m_stateLabel);
    statusBar()->addPermanentWidget(m_memoryLabel);
    statusBar()->addPermanentWidget(m_deviceLabel);
    statusBar()->showMessage(tr("Ready"), 3000);
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &MainWindow::updateStatus);
    timer->start(1000);
    updateStatus();
}

void MainWindow::updateStatus()
{
    const std::uint64_t bytes = engine::processMemoryBytes();
    m_memoryLabel->setText(bytes == 0 ? QString() : tr("%1 MiB in use").arg(bytes / (1024 * 1024)));
    QString state = app::TrainingSession::stateName(m_session->state());
    if (m_session->isActive() && m_session->plan().ranks > 1)
        state += tr(" · %1 processes").arg(m_session->plan().ranks);
    m_stateLabel->setText(state);
}

void MainWindow::updateTitle()
{
    setWindowTitle(QStringLiteral("%1[*] — Lorafit").arg(m_document->displayName()));
    setWindowModified(m_document->isDirty());
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Lorafit"),
                       tr("<h3>Lorafit %1</h3><p>LoRA and LoRA+ fine-tuning of language models.</p>"
                          "<p>%2</p><p>Licensed under the GNU GPL, version 3 or later.</p>")
                           .arg(QCoreApplication::applicationVersion(),
                                app::versionLine(QStringLiteral("lorafit")).toHtmlEscaped()));
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray()))
        resize(1280, 800);
    restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());
}

void MainWindow::openPaths(const QStringList &paths)
{
    for (const QString &path : paths) {
        const QFileInfo info(path);
        if (info.suffix() == QLatin1String("lorafit")) {
            m_projectActions->openProject(path);
        } else if (info.isDir() && QFileInfo::exists(QDir(path).filePath(QStringLiteral("config.json")))) {
            m_model->setModelFolder(info.absoluteFilePath());
            showPage(ModelPage);
        } else if (info.exists()) {
            m_data->setTrainFile(info.absoluteFilePath());
            showPage(DataPage);
        }
    }
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    QStringList paths;
    for (const QUrl &url : event->mimeData()->urls())
        if (url.isLocalFile())
            paths << url.toLocalFile();
    openPaths(paths);
    event->acceptProposedAction();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_session->isActive()) { // stop first, so the run ends recorded; close again when it has
        event->ignore();
        if (QMessageBox::question(this, tr("Training in progress"),
                                  tr("Stop the run and quit? A checkpoint of the last step is saved."))
            == QMessageBox::Yes) {
            connect(m_session, &app::TrainingSession::finished, this, &QWidget::close, Qt::QueuedConnection);
            m_session->stop();
        }
        return;
    }
    if (!m_projectActions->maybeSave()) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    event->accept();
}

} // namespace ui

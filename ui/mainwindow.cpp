#include "ui/mainwindow.h"

#include "ui/resources.h"

#include "app/appsetup.h"
#include "engine/core/runtime.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QVBoxLayout>

namespace ui {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    initResources();
    setWindowTitle(QStringLiteral("Lorafit"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/lorafit.svg")));
    setObjectName(QStringLiteral("MainWindow"));

    auto *welcome = new QLabel(this);
    welcome->setObjectName(QStringLiteral("welcome"));
    welcome->setAlignment(Qt::AlignCenter);
    welcome->setTextFormat(Qt::RichText);
    welcome->setText(tr("<img src=':/icons/lorafit.svg' width='128' height='128'><h1>Lorafit</h1><p>LoRA and LoRA+ fine-tuning of language models on your own machine.</p>"));
    setCentralWidget(welcome);

    createMenus();
    createStatusBar();
    restoreLayout();
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About Lorafit"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::createStatusBar()
{
    const engine::RuntimeInfo info = engine::runtimeInfo();
    const engine::DeviceInfo &best = info.devices.back();
    m_deviceLabel = new QLabel(QStringLiteral("%1").arg(QString::fromStdString(best.name)), this);
    m_deviceLabel->setObjectName(QStringLiteral("deviceLabel"));
    m_deviceLabel->setToolTip(tr("LibTorch %1; CUDA in this build: %2")
                                  .arg(QString::fromStdString(info.torchVersion),
                                       info.cudaBuilt ? tr("yes") : tr("no")));
    statusBar()->addPermanentWidget(m_deviceLabel);
    statusBar()->showMessage(tr("Ready"));
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

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    event->accept();
}

} // namespace ui

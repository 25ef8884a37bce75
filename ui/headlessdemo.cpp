#include "ui/headlessdemo.h"

#include "ui/mainwindow.h"
#include "ui/panels/dashboardpanel.h"
#include "ui/panels/deltaview.h"
#include "ui/plots/heatmapplot.h"
#include "ui/plots/liveplot.h"
#include "ui/plots/plotexport.h"
#include "ui/screenshot.h"

#include "app/projectdocument.h"
#include "app/trainingsession.h"
#include "engine/train/stepmetrics.h"

#include <QDir>

#include <cmath>
#include <cstdio>

namespace ui {

namespace {

void printLine(const QString &line)
{
    std::printf("%s\n", qPrintable(line));
    std::fflush(stdout);
}

} // namespace

HeadlessDemo::HeadlessDemo(MainWindow *window, const QString &folder, int maxSteps, QObject *parent)
    : QObject(parent), m_window(window), m_folder(QDir(folder).absolutePath()), m_maxSteps(maxSteps)
{
}

QString HeadlessDemo::start()
{
    if (!QDir().mkpath(m_folder))
        return tr("Cannot create the folder '%1'.").arg(m_folder);
    const QString error = m_window->openDemoProject(QDir(m_folder).filePath(QStringLiteral("Demo.lorafit")));
    if (!error.isEmpty())
        return error;
    app::ProjectDocument *document = m_window->document();
    if (m_maxSteps > 0) {
        engine::RunSettings settings = document->settings();
        settings.training.maxSteps = m_maxSteps;
        document->setSettings(settings); // saved by the Start button's check, as in the app
    }
    app::TrainingSession *session = m_window->session();
    connect(session, &app::TrainingSession::logMessage, this, [](const QString &line) { printLine(line); });
    connect(session, &app::TrainingSession::metricsArrived, this, &HeadlessDemo::onMetrics);
    connect(session, &app::TrainingSession::finished, this, &HeadlessDemo::onFinished);
    printLine(tr("demo: project %1").arg(document->filePath()));
    m_window->dashboardPanel()->start();
    if (!session->isActive())
        return tr("The demo run did not start (see the messages above).");
    return {};
}

void HeadlessDemo::onMetrics(const std::vector<engine::StepMetrics> &batch)
{
    for (const engine::StepMetrics &metrics : batch) {
        const bool evaluated = !std::isnan(metrics.evalLoss);
        if (metrics.step == 0 && evaluated) {
            printLine(tr("step 0/%1: validation loss %2").arg(metrics.totalSteps).arg(metrics.evalLoss, 0, 'f', 4));
            continue;
        }
        if (!evaluated && metrics.step % 10 != 0 && metrics.step != metrics.totalSteps)
            continue;
        QString line = tr("step %1/%2: loss %3, %4 tokens/s")
                           .arg(metrics.step).arg(metrics.totalSteps).arg(metrics.loss, 0, 'f', 4)
                           .arg(metrics.tokensPerSecond, 0, 'f', 0);
        if (evaluated)
            line += tr(", validation loss %1").arg(metrics.evalLoss, 0, 'f', 4);
        printLine(line);
    }
}

void HeadlessDemo::onFinished(bool ok, const QString &message)
{
    if (!ok)
        printLine(tr("demo: the run failed: %1").arg(message));
    const QString error = writePlots();
    if (!error.isEmpty())
        printLine(tr("demo: error: %1").arg(error));
    for (const QString &file : m_written)
        printLine(tr("demo: wrote %1").arg(file));
    Q_EMIT done(ok && error.isEmpty() ? 0 : 1);
}

QString HeadlessDemo::writePlots()
{
    DashboardPanel *dashboard = m_window->dashboardPanel();
    const struct { QCustomPlot *plot; const char *name; } plots[] = {
        {dashboard->lossPlot(), "loss.png"},
        {dashboard->learningRatePlot(), "learning-rate.png"},
        {dashboard->gradientPlot(), "gradient-norm.png"},
        {dashboard->deltaView()->normPlot(), "delta-norms.png"},
        {dashboard->deltaView()->heatmap(), "delta-heatmap.png"},
    };
    const QDir folder(m_folder);
    for (const auto &entry : plots) {
        const QString path = folder.filePath(QLatin1String(entry.name));
        entry.plot->replot();
        if (const QString error = savePlot(entry.plot, path, QSize(900, 520)); !error.isEmpty())
            return error;
        m_written << path;
    }
    const QString page = folder.filePath(QStringLiteral("training.png"));
    m_window->showPage(MainWindow::TrainingPage);
    if (const QString error = saveScreenshot(m_window, page); !error.isEmpty())
        return error;
    m_written << page;
    return {};
}

} // namespace ui

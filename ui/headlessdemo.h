// HeadlessDemo: the demo run without a screen (`lorafit --demo-headless
// FOLDER`, what scripts/run.sh does on a machine without a display). It
// opens the demo project in FOLDER through the main window, presses Start
// exactly as a person would, prints one line per logged step to stdout, and
// when the run ends writes the dashboard's plots as PNG files into FOLDER:
// loss.png, learning-rate.png, gradient-norm.png, delta-norms.png,
// delta-heatmap.png and training.png (the whole Training page).
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace engine {
struct StepMetrics;
}

namespace ui {

class MainWindow;

class HeadlessDemo : public QObject
{
    Q_OBJECT

public:
    HeadlessDemo(MainWindow *window, const QString &folder, int maxSteps, QObject *parent = nullptr);

    // Opens the demo and starts the run; returns an empty string or the error.
    QString start();
    QStringList writtenFiles() const { return m_written; }

Q_SIGNALS:
    void done(int exitCode); // 0: the run completed and the plots were written

private:
    void onMetrics(const std::vector<engine::StepMetrics> &batch);
    void onFinished(bool ok, const QString &message);
    QString writePlots();

    MainWindow *m_window;
    QString m_folder;
    int m_maxSteps;
    QStringList m_written;
};

} // namespace ui

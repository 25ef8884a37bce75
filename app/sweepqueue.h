// SweepQueue: the desktop app's sweep. The user writes one setting per line,
// "SECTION.KEY = v1, v2, …" (parsed by the engine's sweep grid, the same as
// `lorafit-cli sweep --set`); the queue trains the grid's runs one after
// another through the TrainingSession, each recorded in the project as
// "sweep <setting>", keeps every run's eval-loss curve and ends with the
// comparison table (engine::sweepTable). A run stopped from outside (Stop on
// the Training page) ends the sweep; a failed run does not. Widget-free; main
// thread.
#pragma once

#include "engine/train/stepmetrics.h"
#include "engine/train/sweepgrid.h"
#include "engine/train/sweepsummary.h"

#include <QObject>
#include <QString>

#include <optional>
#include <vector>

namespace app {

class ProjectDocument;
class TrainingSession;

class SweepQueue : public QObject
{
    Q_OBJECT

public:
    // A problem with the text: `line` is the 0-based line it is about, -1 for the grid as a whole.
    struct LineError
    {
        int line = -1;
        QString message;
    };
    struct Plan
    {
        std::vector<engine::SweepAxis> axes;
        std::vector<engine::SweepRun> runs;
    };

    // Checks `text` against `base` (blank lines and lines starting with '#' are skipped): every line
    // that is not SECTION.KEY = values, else the first value or run the settings refuse, with the
    // line of its setting. On success (no errors) fills `plan` when given.
    static std::vector<LineError> check(const QString &text, const engine::RunSettings &base, Plan *plan = nullptr);

    SweepQueue(TrainingSession *session, ProjectDocument *document, QObject *parent = nullptr);

    // Starts the grid of `text` over the project's settings; returns "" or why it cannot start.
    QString start(const QString &text);
    // Stops the current run (after a checkpoint); the runs after it do not start.
    void cancel();

    bool isRunning() const { return m_running; }
    int runCount() const { return static_cast<int>(m_plan.runs.size()); }
    const Plan &plan() const { return m_plan; }
    const std::vector<engine::SweepRunResult> &results() const { return m_results; }
    std::vector<engine::SweepRow> table() const { return engine::sweepTable(m_results); }
    const std::vector<qint64> &runIds() const { return m_runIds; } // the project's run of each finished run, 0 if none
    std::optional<qint64> bestRunId() const; // the run with the lowest final eval loss

Q_SIGNALS:
    void runStarted(int index, const QString &label);
    void progress(int index, qint64 step, qint64 totalSteps);
    void runFinished(int index, const QString &end, const QString &message);
    void finished(bool cancelled);

private:
    void startNext();
    void onMetrics(const std::vector<engine::StepMetrics> &batch);
    void onFinished(bool ok, const QString &message);
    void finishRun(const QString &end, const QString &message, bool started);

    TrainingSession *m_session;
    ProjectDocument *m_document;
    Plan m_plan;
    std::vector<engine::SweepRunResult> m_results;
    std::vector<qint64> m_runIds;
    engine::SweepRunResult m_current;
    qint64 m_lastStep = 0;
    qint64 m_totalSteps = 0;
    int m_index = -1;
    bool m_running = false;
    bool m_cancelled = false;
};

} // namespace app

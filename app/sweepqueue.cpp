#include "app/sweepqueue.h"

#include "app/projectdocument.h"
#include "app/qtstrings.h"
#include "app/trainingsession.h"

#include <QStringList>
#include <QTimer>

#include <cmath>

namespace app {

namespace {

const char *const kSource = "the project's settings";

// The line of the last axis a message starts with ("lora.rank is given twice", "lora.rank: item 2 …"), else -1.
int lineNamed(const std::string &message, const std::vector<engine::SweepAxis> &axes, const std::vector<int> &lines)
{
    int line = -1;
    for (std::size_t a = 0; a < axes.size(); ++a)
        if (message.rfind(axes[a].name(), 0) == 0)
            line = lines[a];
    return line;
}

} // namespace

std::vector<SweepQueue::LineError> SweepQueue::check(const QString &text, const engine::RunSettings &base, Plan *plan)
{
    const std::string document = base.toDocument();
    std::vector<LineError> errors;
    Plan parsed;
    std::vector<int> lineOfAxis;
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines[i].trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        auto axis = engine::parseSweepAxis(line.toStdString());
        if (!axis) {
            errors.push_back({ i, fromStd(axis.message()) });
            continue;
        }
        parsed.axes.push_back(std::move(axis).value());
        lineOfAxis.push_back(i);
    }
    if (!errors.empty())
        return errors;
    if (parsed.axes.empty())
        return { { -1, tr("Write one setting per line, e.g. optimizer.loraplus_ratio = 1, 4, 16") } };
    auto runs = engine::expandSweep(document, parsed.axes, kSource);
    if (!runs)
        return { { lineNamed(runs.message(), parsed.axes, lineOfAxis), fromStd(runs.message()) } };
    for (const engine::SweepRun &run : runs.value())
        if (const engine::Status status = engine::sweepComparable(run.settings); !status)
            return { { -1, fromStd(status.message()) } };
    if (plan) {
        parsed.runs = std::move(runs).value();
        *plan = std::move(parsed);
    }
    return {};
}

SweepQueue::SweepQueue(TrainingSession *session, ProjectDocument *document, QObject *parent)
    : QObject(parent)
    , m_session(session)
    , m_document(document)
{
    connect(m_session, &TrainingSession::metricsArrived, this, &SweepQueue::onMetrics);
    connect(m_session, &TrainingSession::finished, this, &SweepQueue::onFinished);
}

QString SweepQueue::start(const QString &text)
{
    if (m_running || m_session->isActive())
        return tr("A run is already in progress.");
    if (!m_document->store())
        return tr("Save the project first: a sweep's runs are recorded in the project file.");
    Plan plan;
    const std::vector<LineError> errors = check(text, m_document->settings(), &plan);
    if (!errors.empty())
        return errors.front().line < 0 ? errors.front().message
                                        : tr("Line %1: %2").arg(errors.front().line + 1).arg(errors.front().message);
    m_plan = std::move(plan);
    m_results.clear();
    m_runIds.clear();
    m_index = -1;
    m_cancelled = false;
    m_running = true;
    startNext();
    return {};
}

void SweepQueue::cancel()
{
    if (!m_running)
        return;
    m_cancelled = true;
    m_session->stop();
}

std::optional<qint64> SweepQueue::bestRunId() const
{
    const std::optional<std::size_t> best = engine::bestSweepRow(table());
    if (!best || m_runIds[*best] == 0)
        return std::nullopt;
    return m_runIds[*best];
}

void SweepQueue::startNext()
{
    ++m_index;
    if (m_cancelled || m_index >= runCount()) {
        m_running = false;
        Q_EMIT finished(m_cancelled);
        return;
    }
    const engine::SweepRun &run = m_plan.runs[std::size_t(m_index)];
    std::vector<engine::SweepPoint> points;
    for (const engine::SweepRun &each : m_plan.runs)
        points.push_back(each.point);
    m_current = {};
    m_current.label = run.point.label;
    for (const engine::SettingAssignment &assignment : run.point.assignments)
        m_current.settings.emplace_back(assignment.name(), assignment.value);
    m_current.plainLora = engine::plainLoraRun(m_plan.axes, points, std::size_t(m_index));
    m_lastStep = 0;
    m_totalSteps = run.settings.training.maxSteps;
    const QString label = fromStd(run.point.label);
    Q_EMIT runStarted(m_index, label);
    const QString error = m_session->startWith(run.settings, tr("sweep %1").arg(label));
    if (!error.isEmpty())
        finishRun(QStringLiteral("failed"), error, false);
}

void SweepQueue::onMetrics(const std::vector<engine::StepMetrics> &batch)
{
    if (!m_running || batch.empty())
        return;
    for (const engine::StepMetrics &metrics : batch)
        if (std::isfinite(metrics.evalLoss))
            m_current.evalLosses.emplace_back(metrics.step, metrics.evalLoss);
    m_lastStep = batch.back().step;
    m_totalSteps = batch.back().totalSteps;
    Q_EMIT progress(m_index, m_lastStep, m_totalSteps);
}

void SweepQueue::onFinished(bool ok, const QString &message)
{
    if (!m_running || m_index < 0 || m_index >= runCount())
        return;
    const bool early = m_lastStep < m_totalSteps; // stopped: by cancel() or from the Training page
    if (ok && early)
        m_cancelled = true;
    finishRun(!ok ? QStringLiteral("failed") : early ? QStringLiteral("stopped") : QStringLiteral("completed"), message,
        true);
}

void SweepQueue::finishRun(const QString &end, const QString &message, bool started)
{
    m_current.end = end.toStdString();
    m_current.message = message.toStdString();
    m_current.steps = m_lastStep;
    m_current.seconds = started ? double(m_session->elapsedMs()) / 1000.0 : 0.0;
    m_results.push_back(m_current);
    m_runIds.push_back(started ? m_session->runId() : 0);
    Q_EMIT runFinished(m_index, end, message);
    // The session's other observers see this run end before the next starts.
    QTimer::singleShot(0, this, &SweepQueue::startNext);
}

} // namespace app

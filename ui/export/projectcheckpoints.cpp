#include "ui/export/projectcheckpoints.h"

#include "engine/project/projectstore.h"

#include <cmath>
#include <map>

namespace ui {

QString ProjectCheckpoint::label() const
{
    QString text = QStringLiteral("%1 · step %2").arg(runName).arg(step);
    if (evalLoss)
        text += QStringLiteral(" · eval loss %1").arg(*evalLoss, 0, 'f', 4);
    return text;
}

std::vector<ProjectCheckpoint> projectCheckpoints(const engine::ProjectStore &store, QString *error)
{
    std::vector<ProjectCheckpoint> result;
    auto fail = [&](const std::string &message) {
        if (error)
            *error = QString::fromStdString(message);
        return result;
    };
    const auto runs = store.runs();
    if (!runs)
        return fail(runs.message());
    for (const engine::RunInfo &run : runs.value()) {
        const auto checkpoints = store.checkpoints(run.id);
        const auto evals = store.evalResults(run.id);
        if (!checkpoints)
            return fail(checkpoints.message());
        if (!evals)
            return fail(evals.message());
        std::map<std::int64_t, double> evalAtStep;
        for (const engine::EvalResult &eval : evals.value())
            if (eval.name == "eval" && std::isfinite(eval.loss))
                evalAtStep[eval.step] = eval.loss;
        for (const engine::CheckpointInfo &checkpoint : checkpoints.value()) {
            ProjectCheckpoint entry;
            entry.runId = run.id;
            entry.runName = QString::fromStdString(run.name);
            entry.step = checkpoint.step;
            entry.path = QString::fromStdString(checkpoint.path);
            if (const auto it = evalAtStep.find(checkpoint.step); it != evalAtStep.end())
                entry.evalLoss = it->second;
            result.push_back(entry);
        }
    }
    return result;
}

int bestCheckpointIndex(const std::vector<ProjectCheckpoint> &checkpoints, qint64 runId)
{
    int best = -1;
    int last = -1;
    for (int i = 0; i < int(checkpoints.size()); ++i) {
        const ProjectCheckpoint &c = checkpoints[size_t(i)];
        if (runId >= 0 && c.runId != runId)
            continue;
        last = i;
        if (c.evalLoss && (best < 0 || *c.evalLoss < *checkpoints[size_t(best)].evalLoss))
            best = i;
    }
    return best >= 0 ? best : last;
}

} // namespace ui

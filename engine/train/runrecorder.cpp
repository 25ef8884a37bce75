#include "engine/train/runrecorder.h"

#include "engine/train/runfolder.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <map>

namespace engine {

namespace {

using json = nlohmann::json;

json finite(double value)
{
    return std::isfinite(value) ? json(value) : json(nullptr);
}

// The preference figures that were measured, under `prefix` + their names.
void addPreference(const PreferenceMetrics &metrics, const std::string &prefix, std::map<std::string, double> &scalars)
{
    using namespace metricnames;
    const std::pair<const char *, double> values[] = { { kRewardChosen, metrics.rewardChosen },
        { kRewardRejected, metrics.rewardRejected }, { kRewardMargin, metrics.rewardMargin },
        { kPreferenceAccuracy, metrics.accuracy }, { kLogpChosen, metrics.logpChosen },
        { kLogpRejected, metrics.logpRejected } };
    for (const auto &[name, value] : values)
        if (std::isfinite(value))
            scalars[prefix + name] = value;
}

} // namespace

std::string runsFolderOf(const std::string &projectPath)
{
    const std::filesystem::path project = std::filesystem::absolute(projectPath);
    return (project.parent_path() / (project.stem().string() + ".runs")).string();
}

std::string newRunFolder(const std::string &runsFolder)
{
    return newStampedFolder(runsFolder, "run");
}

std::string metricnames::learningRate(const std::string &group)
{
    return "lr_" + group;
}

std::string metricnames::loraPlusRatio(const std::string &key)
{
    return key == kGlobalRatioKey ? std::string(kLoraPlusRatioPrefix) : std::string(kLoraPlusRatioPrefix) + "_" + key;
}

StepRecord toStepRecord(const StepMetrics &metrics)
{
    using namespace metricnames;
    StepRecord record;
    record.step = metrics.step;
    auto &scalars = record.scalars;
    if (std::isfinite(metrics.evalLoss))
        scalars[kEvalLoss] = metrics.evalLoss;
    addPreference(metrics.evalPreference, kEvalPrefix, scalars);
    if (metrics.step == 0)
        return record; // the evaluation before training: no step was taken, no training loss
    addPreference(metrics.preference, "", scalars);
    scalars[kLoss] = metrics.loss;
    for (const GroupLearningRate &rate : metrics.learningRates)
        scalars[learningRate(rate.group)] = rate.lr;
    for (const LoraPlusRatio &ratio : metrics.loraPlusRatios)
        scalars[loraPlusRatio(ratio.key)] = ratio.ratio;
    if (std::isfinite(metrics.gradientAgreement))
        scalars[kGradientAgreement] = metrics.gradientAgreement;
    scalars[kGradNorm] = metrics.gradNorm;
    scalars[kGradNormA] = metrics.gradNormA;
    scalars[kGradNormB] = metrics.gradNormB;
    scalars[kTokensPerSecond] = metrics.tokensPerSecond;
    scalars[kStepSeconds] = metrics.stepSeconds;
    scalars[kTokens] = static_cast<double>(metrics.tokens);
    scalars[kSkipped] = metrics.skipped ? 1.0 : 0.0;
    if (metrics.ranks > 1) {
        scalars[kRanks] = metrics.ranks;
        scalars[kAllReduceSeconds] = metrics.allReduceSeconds;
    }
    if (metrics.matrices.empty() || metrics.skipped)
        return record;
    const std::pair<const char *, float MatrixMetrics::*> kinds[] = {
        { kDeltaANorm, &MatrixMetrics::deltaANorm }, { kDeltaBNorm, &MatrixMetrics::deltaBNorm },
        { kANorm, &MatrixMetrics::aNorm }, { kBNorm, &MatrixMetrics::bNorm }, { kDelta1, &MatrixMetrics::delta1 },
        { kDelta2, &MatrixMetrics::delta2 }, { kDelta3, &MatrixMetrics::delta3 },
    };
    for (const auto &[name, member] : kinds) {
        if (std::isnan(metrics.matrices.front().*member))
            continue; // not measured at this step (δ-terms only on probe steps)
        std::vector<float> &values = record.matrices[name];
        values.reserve(metrics.matrices.size());
        for (const MatrixMetrics &matrix : metrics.matrices)
            values.push_back(matrix.*member);
    }
    return record;
}

RunRecorder::RunRecorder(ProjectStore &store)
    : m_store(store)
{ }

Result<std::int64_t> RunRecorder::begin(
    const std::string &name, const RunSettings &settings, const TrainingPlan &plan, std::int64_t resumeRunId)
{
    if (resumeRunId > 0) {
        const Status resumed = m_store.resumeRun(resumeRunId);
        if (!resumed)
            return resumed;
        m_runId = resumeRunId;
        return m_runId;
    }
    RunSpec spec;
    spec.name = name;
    spec.device = plan.device;
    spec.configJson = json::parse(settings.toDocument()).dump();
    spec.matrixNames = plan.matrixNames;
    Result<std::int64_t> id = m_store.createRun(spec);
    if (id)
        m_runId = id.value();
    return id;
}

Status RunRecorder::record(const std::vector<StepMetrics> &batch)
{
    std::vector<StepRecord> records;
    records.reserve(batch.size());
    for (const StepMetrics &metrics : batch)
        records.push_back(toStepRecord(metrics));
    const Status appended = m_store.appendMetrics(m_runId, records);
    if (!appended)
        return appended;
    for (const StepMetrics &metrics : batch) {
        if (!std::isfinite(metrics.evalLoss))
            continue;
        EvalResult result;
        result.step = metrics.step;
        result.loss = metrics.evalLoss;
        result.metricsJson = json{ { "perplexity", finite(std::exp(metrics.evalLoss)) } }.dump();
        const Status added = m_store.addEvalResult(m_runId, result);
        if (!added)
            return added;
    }
    return Status::success();
}

Status RunRecorder::checkpoint(const CheckpointRecord &checkpoint)
{
    CheckpointInfo info;
    info.step = checkpoint.step;
    info.path = checkpoint.path;
    info.sizeBytes = checkpoint.sizeBytes;
    info.hash = checkpoint.hash;
    return m_store.addCheckpoint(m_runId, info);
}

Status RunRecorder::finish(const TrainingOutcome &outcome)
{
    const json metrics = {
        { "steps", outcome.steps },
        { "end", runEndName(outcome.end) },
        { "loss", finite(outcome.lastLoss) },
        { "eval_loss", finite(outcome.lastEvalLoss) },
        { "best_eval_loss", finite(outcome.bestEvalLoss) },
        { "best_checkpoint", outcome.bestCheckpoint },
        { "last_checkpoint", outcome.lastCheckpoint },
        { "message", outcome.message },
    };
    const RunStatus status = outcome.end == RunEnd::Completed ? RunStatus::Finished
        : outcome.end == RunEnd::Stopped                      ? RunStatus::Stopped
        : outcome.end == RunEnd::Interrupted                  ? RunStatus::Interrupted
                                                              : RunStatus::Failed;
    return m_store.finishRun(m_runId, status, metrics.dump());
}

Status RunRecorder::fail(const std::string &message)
{
    return m_store.finishRun(m_runId, RunStatus::Failed, json{ { "error", message } }.dump());
}

} // namespace engine

#include "engine/train/trainer.h"

#include "engine/core/runtime.h"
#include "engine/core/status.h"
#include "engine/core/stopwatch.h"
#include "engine/dist/batchshard.h"
#include "engine/dist/rankgroup.h"
#include "engine/lora/peftadapter.h"
#include "engine/lora/peftconfig.h"
#include "engine/train/adaptermetrics.h"
#include "engine/train/autocastscope.h"
#include "engine/train/checkpoint.h"
#include "engine/train/deltaprobe.h"
#include "engine/train/lambdacontroller.h"
#include "engine/train/metricsqueue.h"
#include "engine/train/outofmemory.h"
#include "engine/train/trainingsetup.h"
#include "engine/train/trainstep.h"

#include <torch/cuda.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

namespace engine {

namespace {

namespace fs = std::filesystem;
bool due(int every, std::int64_t step, std::int64_t totalSteps)
{
    return step == totalSteps || (every > 0 && step % every == 0);
}

// What the loop carries from step to step (and what a checkpoint restores).
struct LoopState
{
    std::int64_t step = 0;
    int badInRow = 0;
    double loss = kNotMeasured;
    double evalLoss = kNotMeasured;
    double bestEvalLoss = kNotMeasured;
    std::string bestCheckpoint;
    std::string lastCheckpoint;
    std::int64_t lastGoodCheckpointStep = -1;
    std::vector<CheckpointRecord> written; // this run's checkpoints, oldest first
};

class TrainingRun
{
public:
    TrainingRun(const RunSettings &settings, const TrainOptions &options, const TrainerCallbacks &callbacks,
        TrainingControl &control)
        : m_settings(settings)
        , m_options(options)
        , m_callbacks(callbacks)
        , m_control(control)
    { }

    TrainingOutcome run();

private:
    void note(const std::string &message) const
    {
        if (m_callbacks.log)
            m_callbacks.log(message);
    }
    void setState(TrainingState state) const
    {
        if (m_callbacks.stateChanged)
            m_callbacks.stateChanged(state);
    }
    void report(StepMetrics metrics) const
    {
        if (m_callbacks.metrics)
            m_callbacks.metrics->push(std::move(metrics));
    }
    bool leader() const { return !m_ranks || m_ranks->isLeader(); }

    TrainingOutcome loop();
    void joinRanks();
    ControlFlags control();
    void start();
    StepMetrics trainStep();
    void adjustRatios();
    void evaluateNow(StepMetrics &metrics);
    void saveCheckpoint();
    void pruneCheckpoints();
    TrainingOutcome finish(RunEnd end, std::string message);

    RunSettings m_settings; // a copy: an initial adapter replaces the LoRA settings
    const TrainOptions &m_options;
    const TrainerCallbacks &m_callbacks;
    TrainingControl &m_control;
    std::string m_outputFolder; // rank 0's when data-parallel
    std::string m_resumeFrom;   // likewise
    std::unique_ptr<RankGroup> m_ranks; // data-parallel runs only
    TrainingSetup m_setup;
    LoopState m_state;
    std::unique_ptr<AdapterMetrics> m_adapterMetrics;
    std::unique_ptr<DeltaProbe> m_probe;
    std::unique_ptr<LambdaController> m_lambda; // automatic λ only
};

TrainingOutcome TrainingRun::run()
{
    setState(TrainingState::Loading);
    m_outputFolder = m_options.outputFolder;
    m_resumeFrom = m_options.resumeFrom;
    if (!m_options.initAdapter.empty()) { // also when resuming, so the resume hash matches
        const Result<LoraConfig> adapter = readPeftAdapterConfig(m_options.initAdapter);
        if (!adapter)
            throw Error("cannot start from the adapter: " + adapter.message());
        m_settings.lora = adapter.value();
    }
    if (m_options.distributed.enabled() && m_settings.training.preference())
        throw Error("training.objective '" + m_settings.training.objective
            + "' runs in one process for now (hint: start it without torchrun / several processes)");
    if (m_options.distributed.enabled())
        joinRanks();
    start();
    try {
        return loop();
    } catch (const PeerLost &lost) {
        return finish(RunEnd::Interrupted, lost.what());
    }
}

TrainingOutcome TrainingRun::loop()
{
    AutocastScope autocast(m_setup.device);
    const std::int64_t totalSteps = m_setup.plan.totalSteps;
    const TrainingConfig &training = m_settings.training;
    setState(TrainingState::Running);
    note("training " + std::to_string(m_setup.plan.matrixNames.size()) + " adapted matrices for "
        + std::to_string(totalSteps) + " steps");
    if (m_setup.device.is_cpu()) {
        const RuntimeInfo runtime = runtimeInfo();
        if (!runtime.blasNote.empty())
            note(runtime.blasNote);
        if (!runtime.blasWarning.empty())
            note("warning: " + runtime.blasWarning);
    }

    // The loss before any training, so the curves have a starting point.
    if (m_state.step == 0 && training.evalEvery > 0) {
        StepMetrics baseline;
        baseline.totalSteps = totalSteps;
        baseline.loss = kNotMeasured;
        evaluateNow(baseline);
        report(std::move(baseline));
    }

    while (m_state.step < totalSteps) {
        // --- control: pause, stop (agreed by every rank) ------------------------------------------
        if (control().stop) {
            setState(TrainingState::Stopping);
            if (m_state.lastGoodCheckpointStep != m_state.step && m_state.step > 0)
                saveCheckpoint();
            return finish(RunEnd::Stopped, "stopped at step " + std::to_string(m_state.step));
        }

        // --- one optimizer step -------------------------------------------------------------------
        StepMetrics metrics = trainStep();
        if (metrics.skipped && m_state.badInRow >= training.maxBadSteps) {
            report(std::move(metrics));
            return finish(RunEnd::Diverged,
                std::to_string(m_state.badInRow) + " steps in a row had a NaN or infinite loss or gradient; stopped "
                    + "at step " + std::to_string(m_state.step) + " (hint: lower the learning rate or λ, or check "
                    + "the data)");
        }

        // --- periodic: evaluation, checkpoint -------------------------------------------------------
        if (due(training.evalEvery, m_state.step, totalSteps) && training.evalEvery > 0)
            evaluateNow(metrics);
        report(std::move(metrics));
        if (due(training.checkpointEvery, m_state.step, totalSteps) && m_state.badInRow == 0)
            saveCheckpoint();
    }
    return finish(RunEnd::Completed, "finished " + std::to_string(m_state.step) + " steps");
}

// Meets the other ranks before anything is loaded, so a bad rendezvous fails
// at once; rank 0's run folder and checkpoint become every rank's.
void TrainingRun::joinRanks()
{
    const DistributedConfig &config = m_options.distributed;
    note("rank " + std::to_string(config.rank) + " of " + std::to_string(config.worldSize) + ": meeting the others at "
        + config.masterAddress + ":" + std::to_string(config.masterPort));
    m_ranks = std::make_unique<RankGroup>(config, m_settings.rankHash(), [this] { return m_control.stopRequested(); });
    m_outputFolder = m_ranks->shareFromLeader("output_folder", m_outputFolder);
    m_resumeFrom = m_ranks->shareFromLeader("resume_from", m_resumeFrom);
    note("all " + std::to_string(config.worldSize) + " ranks joined; each trains its share of every batch of "
        + std::to_string(m_settings.training.batchSize));
}

// Pause and stop as every rank sees them: any rank's request counts. While
// paused the ranks meet every half second, so none waits into a timeout.
ControlFlags TrainingRun::control()
{
    auto local = [this] { return ControlFlags{ m_control.stopRequested(), m_control.isPaused() }; };
    ControlFlags flags = m_ranks ? m_ranks->agree(local()) : local();
    if (!flags.pause || flags.stop)
        return flags;
    setState(TrainingState::Paused);
    while (flags.pause && !flags.stop) {
        if (m_ranks)
            m_control.waitWhilePausedFor(500);
        else
            m_control.waitWhilePaused();
        flags = m_ranks ? m_ranks->agree(local()) : local();
    }
    setState(TrainingState::Running);
    return flags;
}

void TrainingRun::start()
{
    RunSettings local = m_settings;
    if (m_ranks && local.training.device == "cuda") // one GPU per process of this machine
        local.training.device = "cuda:" + std::to_string(m_options.distributed.localRank);
    m_setup = loadTrainingSetup(
        local, m_outputFolder, [this](const std::string &m) { note(m); }, [this] { return m_control.stopRequested(); });
    torch::manual_seed(m_settings.training.seed);
    // The CPU generator (LoRA dropout seeds) stays the same on every rank: masks
    // are keyed by position, so ranks draw what one process draws. Dropout on
    // CUDA uses LibTorch's own masks: a stream per (seed, rank).
    if (m_ranks && m_setup.device.is_cuda())
        torch::cuda::manual_seed_all(m_settings.training.seed + 0x9E3779B97F4A7C15ull * m_ranks->rank());
    // DPO's reference is the model as the run starts: the initial adapter too, also when resuming.
    const bool dpo = m_setup.preference && !m_setup.preference->orpo;
    if (!m_options.initAdapter.empty() && (m_resumeFrom.empty() || dpo)) {
        m_setup.lora->loadTensors(readPeftAdapterTensors(m_options.initAdapter, *m_setup.lora));
        if (m_resumeFrom.empty())
            note("starting from the adapter in " + m_options.initAdapter);
    }
    if (dpo) {
        const bool atBase = m_options.initAdapter.empty() && adapterStartsAtBase(m_settings.lora);
        m_setup.reference = std::make_unique<PreferenceReference>(*m_setup.lora, atBase);
        note(std::string("DPO reference: ") + (atBase ? "the base model (adapters off)" : "the starting adapter"));
    }
    const OptimizerConfig &optimizer = m_settings.optimizer;
    if (optimizer.autoRatio) {
        std::vector<std::string> keys = m_setup.plan.matrixKinds;
        if (optimizer.ratioScope == RatioScope::Global)
            keys.assign(keys.size(), kGlobalRatioKey);
        m_lambda = std::make_unique<LambdaController>(keys, LambdaControllerSettings{ optimizer.loraPlusRatio });
        note(std::string("LoRA+ ratio: automatic (") + (optimizer.ratioScope == RatioScope::Global ? "one λ" : "one λ "
            "per module type") + ", starting at " + std::to_string(static_cast<int>(optimizer.loraPlusRatio))
            + ", adjusted every " + std::to_string(m_settings.training.probeEvery)
            + " steps from how B's gradients agree with its updates)");
    }
    if (optimizer.kind == OptimizerKind::Riemannian)
        note("optimizer: Riemannian preconditioned AdamW (A and B at one learning rate; loraplus_ratio is not used)");
    if (!m_resumeFrom.empty()) {
        const CheckpointState restored
            = readCheckpoint(m_resumeFrom, *m_setup.lora, *m_setup.optimizer, m_settings.resumeHash());
        const Status cursor = m_setup.data->restore(restored.cursor);
        if (!cursor)
            throw Error("cannot resume from '" + m_resumeFrom + "': " + cursor.message());
        m_state.step = restored.step;
        m_state.loss = restored.loss;
        m_state.evalLoss = restored.evalLoss;
        m_state.bestEvalLoss = restored.bestEvalLoss;
        m_state.bestCheckpoint = restored.bestCheckpoint;
        m_state.lastCheckpoint = m_resumeFrom;
        m_state.lastGoodCheckpointStep = restored.step;
        if (m_lambda) {
            const Status lambda = restored.lambdaController.empty()
                ? Status::failure("the checkpoint has no state of the automatic λ")
                : m_lambda->restore(restored.lambdaController);
            if (!lambda)
                throw Error("cannot resume from '" + m_resumeFrom + "': " + lambda.message());
            m_setup.optimizer->setRatios(m_lambda->ratios(), m_lambda->meanRatio());
        }
        note("resumed from " + m_resumeFrom + " at step " + std::to_string(restored.step));
    }
    m_setup.plan.firstStep = m_state.step + 1;
    m_setup.plan.ranks = m_ranks ? m_ranks->size() : 1;
    m_setup.plan.outputFolder = m_outputFolder;
    std::error_code error;
    if (leader())
        fs::create_directories(m_outputFolder, error);
    if (error)
        throw Error("cannot create the run folder '" + m_outputFolder + "': " + error.message()
            + " (hint: check the project folder's permissions and free space)");
    m_adapterMetrics = std::make_unique<AdapterMetrics>(*m_setup.lora);
    if (m_settings.training.probeEvery > 0 && leader()) // the δ-terms are rank 0's report
        m_probe = std::make_unique<DeltaProbe>(*m_setup.model, *m_setup.lora, probeIds(*m_setup.data, m_setup.device));
    m_setup.lora->setTraining(true);
    if (m_callbacks.started)
        m_callbacks.started(m_setup.plan);
}

StepMetrics TrainingRun::trainStep()
{
    const TrainingConfig &training = m_settings.training;
    const Stopwatch stopwatch;
    StepMetrics metrics;
    metrics.totalSteps = m_setup.plan.totalSteps;

    // Read the step's micro-batches first: the loss is the mean over all their trained tokens.
    std::vector<data::Batch> batches;
    std::int64_t pairs = 0;
    for (int i = 0; i < training.gradientAccumulation; ++i) {
        batches.push_back(m_setup.data->nextBatch(training.batchSize));
        metrics.tokens += batches.back().trainedTokens;
        pairs += batches.back().preferencePairs;
    }
    const double divisor = static_cast<double>(std::max<std::int64_t>(1, m_setup.preference ? pairs : metrics.tokens));

    // Data parallel: this rank's rows of every micro-batch; tokens/s counts all ranks' tokens.
    std::vector<torch::Tensor> ids, labels;
    TrainStepSettings stepSettings;
    for (const data::Batch &batch : batches) {
        const BatchShard shard = m_ranks ? shardOf(batch, m_ranks->rank(), m_ranks->size()) : BatchShard{};
        const data::Batch &rows = m_ranks ? shard.batch : batch; // one process: the whole batch, not copied
        const BatchTensors tensors = toTensors(rows, m_setup.device);
        ids.push_back(tensors.ids);
        labels.push_back(tensors.labels);
        stepSettings.firstTokens.push_back(shard.firstToken);
    }
    stepSettings.lossDivisor = divisor;
    stepSettings.maxGradNorm = m_settings.optimizer.maxGradNorm;
    stepSettings.scheduleFactor = scheduleFactor(m_settings.optimizer, m_state.step, m_setup.plan.totalSteps);
    stepSettings.probing = m_probe && (m_state.step + 1) % training.probeEvery == 0;
    stepSettings.perMatrixMetrics = leader();
    stepSettings.agreement = m_lambda && leader();
    metrics.matrices.resize(m_setup.plan.matrixNames.size());
    const TrainStepParts parts{ *m_setup.model, *m_setup.optimizer, m_setup.parameters, *m_adapterMetrics,
        m_probe.get(), m_ranks.get(), m_setup.preference ? &*m_setup.preference : nullptr, m_setup.reference.get() };
    const StepMemoryContext memory{ m_setup.plan.device, training.batchSize, m_settings.dataset.maxLength,
        m_setup.plan.estimatedMemoryBytes };
    const TrainStepResult step = withOutOfMemoryHint(memory, [&] {
        return runTrainStep(parts, ids, labels, stepSettings, metrics.matrices); });
    metrics.ranks = m_ranks ? m_ranks->size() : 1;
    metrics.allReduceSeconds = step.allReduceMs / 1000.0;
    metrics.loss = step.loss;
    metrics.gradNorm = step.norms.total;
    metrics.gradNormA = step.norms.a;
    metrics.gradNormB = step.norms.b;
    metrics.skipped = step.skipped;
    metrics.preference = step.preference.mean();

    if (metrics.skipped) {
        ++m_state.badInRow;
        note("step " + std::to_string(m_state.step + 1) + " skipped: the loss or gradient is not finite");
    } else {
        m_state.badInRow = 0;
        m_state.loss = step.loss;
    }
    ++m_state.step;
    metrics.step = m_state.step;
    metrics.learningRates = m_setup.optimizer->learningRates();
    if (m_lambda) {
        for (const auto &[key, ratio] : m_lambda->ratios())
            metrics.loraPlusRatios.push_back({ key, ratio });
        if (!metrics.skipped && !step.agreement.empty()) {
            m_lambda->accumulate(step.agreement);
            metrics.gradientAgreement = finiteMedian(step.agreement);
        }
        if (m_state.step % training.probeEvery == 0)
            adjustRatios();
    }
    const std::int64_t perEpoch = std::max<std::int64_t>(1, m_setup.data->sequencesPerEpoch());
    const data::DataCursor cursor = m_setup.data->cursor();
    metrics.epoch = static_cast<double>(cursor.epoch) + static_cast<double>(cursor.position) / perEpoch;
    metrics.stepSeconds = stopwatch.seconds();
    metrics.tokensPerSecond = metrics.stepSeconds > 0.0 ? static_cast<double>(metrics.tokens) / metrics.stepSeconds : 0.0;
    return metrics;
}

// At the end of each probe interval: rank 0's controller moves λ from the
// gradient agreement it collected, and every rank takes rank 0's values (summed
// with zeros), so all step alike.
void TrainingRun::adjustRatios()
{
    if (leader())
        m_lambda->update();
    std::vector<std::pair<std::string, double>> ratios = m_lambda->ratios();
    if (m_ranks) {
        std::vector<double> logs;
        for (const auto &[key, ratio] : ratios)
            logs.push_back(leader() ? std::log(ratio) : 0.0);
        logs = m_ranks->sum(logs);
        for (std::size_t i = 0; i < ratios.size(); ++i)
            ratios[i].second = std::exp(logs[i]);
        m_lambda->adopt(ratios);
    }
    m_setup.optimizer->setRatios(ratios, m_lambda->meanRatio());
}

void TrainingRun::evaluateNow(StepMetrics &metrics)
{
    // Ranks evaluate their rows of every batch together: none may leave early.
    PreferenceTotals preference;
    const std::optional<double> loss = evaluate(m_setup, m_settings.training.batchSize,
        m_settings.training.evalBatches, [this] { return !m_ranks && m_control.stopRequested(); }, m_ranks.get(),
        &preference);
    if (!loss || !std::isfinite(*loss))
        return;
    metrics.evalLoss = *loss;
    metrics.evalPreference = preference.mean();
    m_state.evalLoss = *loss;
    if (!std::isfinite(m_state.bestEvalLoss) || *loss < m_state.bestEvalLoss) {
        m_state.bestEvalLoss = *loss;
        m_state.bestCheckpoint = checkpointFolder(m_outputFolder, m_state.step);
    }
}

void TrainingRun::saveCheckpoint()
{
    if (!leader()) { // rank 0 writes; the others keep the same account of it
        m_state.lastCheckpoint = checkpointFolder(m_outputFolder, m_state.step);
        m_state.lastGoodCheckpointStep = m_state.step;
        return;
    }
    CheckpointState state;
    state.step = m_state.step;
    state.totalSteps = m_setup.plan.totalSteps;
    state.cursor = m_setup.data->cursor();
    state.loss = m_state.loss;
    state.evalLoss = m_state.evalLoss;
    state.bestEvalLoss = m_state.bestEvalLoss;
    state.bestCheckpoint = m_state.bestCheckpoint;
    state.resumeHash = m_settings.resumeHash();
    state.settingsDocument = m_settings.toDocument();
    state.baseModel = m_settings.modelPath;
    state.baseModelType = m_setup.model->config().modelType;
    if (m_lambda)
        state.lambdaController = m_lambda->toJson();
    const CheckpointRecord record = writeCheckpoint(m_outputFolder, *m_setup.lora, *m_setup.optimizer, state);
    m_state.lastCheckpoint = record.path;
    m_state.lastGoodCheckpointStep = m_state.step;
    m_state.written.push_back(record);
    pruneCheckpoints();
    if (m_callbacks.checkpointSaved)
        m_callbacks.checkpointSaved(record);
}

// Keeps the newest keepCheckpoints folders and the best-eval one.
void TrainingRun::pruneCheckpoints()
{
    std::vector<CheckpointRecord> kept;
    const std::size_t keep = static_cast<std::size_t>(m_settings.training.keepCheckpoints);
    for (std::size_t i = 0; i < m_state.written.size(); ++i) {
        const CheckpointRecord &record = m_state.written[i];
        const bool recent = i + keep >= m_state.written.size();
        if (recent || record.path == m_state.bestCheckpoint) {
            kept.push_back(record);
            continue;
        }
        std::error_code ignored;
        fs::remove_all(record.path, ignored);
    }
    m_state.written = std::move(kept);
}

TrainingOutcome TrainingRun::finish(RunEnd end, std::string message)
{
    if (end == RunEnd::Completed && m_state.lastGoodCheckpointStep != m_state.step)
        saveCheckpoint();
    TrainingOutcome outcome;
    outcome.end = end;
    outcome.steps = m_state.step;
    outcome.lastLoss = m_state.loss;
    outcome.lastEvalLoss = m_state.evalLoss;
    outcome.bestEvalLoss = m_state.bestEvalLoss;
    outcome.lastCheckpoint = m_state.lastCheckpoint;
    const bool bestExists = !m_state.bestCheckpoint.empty() && (!leader() || fs::exists(m_state.bestCheckpoint));
    outcome.bestCheckpoint = bestExists ? m_state.bestCheckpoint : m_state.lastCheckpoint;
    outcome.message = std::move(message);
    setState(TrainingState::Finished);
    note(outcome.message);
    return outcome;
}

} // namespace

const char *trainingStateName(TrainingState state)
{
    switch (state) {
    case TrainingState::Loading: return "loading";
    case TrainingState::Running: return "running";
    case TrainingState::Paused: return "paused";
    case TrainingState::Stopping: return "stopping";
    case TrainingState::Finished: return "finished";
    }
    return "unknown";
}

const char *runEndName(RunEnd end)
{
    switch (end) {
    case RunEnd::Completed: return "completed";
    case RunEnd::Stopped: return "stopped";
    case RunEnd::Diverged: return "diverged";
    case RunEnd::Interrupted: return "interrupted";
    }
    return "unknown";
}

void TrainingControl::requestStop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
}

void TrainingControl::pause()
{
    std::lock_guard lock(m_mutex);
    m_paused = true;
}

void TrainingControl::resume()
{
    {
        std::lock_guard lock(m_mutex);
        m_paused = false;
    }
    m_changed.notify_all();
}

void TrainingControl::waitWhilePausedFor(int milliseconds)
{
    std::unique_lock lock(m_mutex);
    m_changed.wait_for(lock, std::chrono::milliseconds(milliseconds), [this] { return !m_paused || m_stop; });
}

bool TrainingControl::waitWhilePaused()
{
    std::unique_lock lock(m_mutex);
    if (!m_paused || m_stop)
        return false;
    m_changed.wait(lock, [this] { return !m_paused || m_stop; });
    return true;
}

Result<TrainingOutcome> Trainer::run(const RunSettings &settings, const TrainOptions &options,
    const TrainerCallbacks &callbacks, TrainingControl &control)
{
    return guard([&] {
        const Status valid = settings.validate();
        if (!valid)
            throw Error(valid.message());
        if (options.outputFolder.empty() && options.distributed.isLeader())
            throw Error("no run folder given for the checkpoints (hint: set TrainOptions::outputFolder)");
        const KeepFreedMemory keep;
        TrainingRun run(settings, options, callbacks, control);
        return run.run();
    });
}

} // namespace engine

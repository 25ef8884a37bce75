#include "engine/train/trainingsetup.h"

#include "engine/core/runtime.h"
#include "engine/core/status.h"
#include "engine/data/chattemplatedetector.h"
#include "engine/dist/batchshard.h"
#include "engine/model/modelinfo.h"
#include "engine/quant/basequantization.h"
#include "engine/tokenizer/tokenizerloader.h"
#include "engine/train/causallmloss.h"
#include "engine/train/computeprecision.h"
#include "engine/train/outofmemory.h"

#include <cmath>
#include <cstdio>

namespace engine {

namespace {

template <typename T>
T take(Result<T> result)
{
    if (!result)
        throw Error(result.message());
    return std::move(result.value());
}

void checkMemory(const RunSettings &settings, const torch::Device &device, TrainingPlan &plan)
{
    const ModelInfo info = take(inspectModel(settings.modelPath));
    const std::int64_t batch = settings.training.batchSize * (settings.training.preference() ? 2 : 1); // pairs: 2 rows
    const MemoryEstimate estimate = estimateTrainingMemory(info, batch, settings.dataset.maxLength,
        settings.lora.rank, device.is_cuda() ? "bf16" : "f32", settings.training.gradientCheckpointing,
        settings.training.baseWeights == "nf4");
    plan.estimatedMemoryBytes = static_cast<std::int64_t>(estimate.totalBytes);
    if (!device.is_cpu())
        return; // the CUDA allocator reports out-of-memory itself, with the sizes
    const std::uint64_t available = availableMemoryBytes() + processMemoryBytes();
    if (available > 0 && estimate.totalBytes > available)
        throw Error("not enough memory: training '" + settings.modelPath + "' with batch " + std::to_string(batch)
            + " × " + std::to_string(settings.dataset.maxLength) + " tokens needs about "
            + gibibytes(estimate.totalBytes) + " but " + gibibytes(available)
            + " are available (hint: lower the batch size or max length, use gradient accumulation, enable "
              "gradient checkpointing, or store the base in 4 bits (training.base_weights \"nf4\"))");
}

// Preference pairs train only with a preference objective, and the reverse.
void checkObjective(const RunSettings &settings, data::Shape shape)
{
    const std::string &objective = settings.training.objective;
    const bool pairs = shape == data::Shape::Preference;
    if (pairs && !settings.training.preference())
        throw Error("dataset '" + settings.dataset.trainPath
            + "' holds preference pairs (chosen and rejected answers), which the supervised objective 'sft' cannot "
              "learn from (hint: set training.objective to \"dpo\" or \"orpo\", or train on prompt/completion data)");
    if (!pairs && settings.training.preference())
        throw Error("training.objective '" + objective + "' learns from preference pairs, but dataset '"
            + settings.dataset.trainPath + "' has the shape '" + data::shapeName(shape)
            + "' (hint: give records with 'prompt', 'chosen' and 'rejected', or set training.objective to \"sft\")");
}

void describeMatrices(const LoraModel &lora, TrainingPlan &plan)
{
    for (const AdaptedMatrix &matrix : lora.matrices()) {
        plan.matrixNames.push_back(matrix.name);
        plan.matrixKinds.push_back(matrix.kind);
        plan.matrixLayers.push_back(matrix.layer);
    }
    plan.trainableParameters = lora.parameterCount();
}

} // namespace

torch::Device parseDevice(const std::string &text)
{
    if (text == "cpu")
        return torch::kCPU;
    if (!torch::cuda::is_available())
        throw Error("training.device: '" + text + "' is not available here (hint: "
            + (runtimeInfo().cudaBuilt ? "no CUDA GPU was found" : "this build of LibTorch has no CUDA")
            + "; use 'cpu')");
    const torch::Device device(text == "cuda" ? std::string("cuda:0") : text);
    if (device.index() >= static_cast<int>(torch::cuda::device_count()))
        throw Error("training.device: '" + text + "' does not exist (hint: this machine has "
            + std::to_string(torch::cuda::device_count()) + " CUDA device(s), numbered from 0)");
    return device;
}

std::int64_t plannedSteps(const TrainingConfig &training, const data::DataLoader &data)
{
    if (training.maxSteps > 0)
        return training.maxSteps;
    const double microBatches = training.epochs * static_cast<double>(data.batchesPerEpoch(training.batchSize));
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(microBatches / training.gradientAccumulation)));
}

TrainingSetup loadTrainingSetup(const RunSettings &settings, const std::string &outputFolder,
    const std::function<void(const std::string &)> &log, const std::function<bool()> &cancelled)
{
    TrainingSetup setup;
    setup.device = parseDevice(settings.training.device);
    if (setup.device.is_cpu() && settings.training.threads > 0)
        setThreadCount(settings.training.threads);
    setup.plan.device = setup.device.str();
    setup.plan.outputFolder = outputFolder;

    log("reading the tokenizer and chat template of " + settings.modelPath);
    setup.tokenizer = take(loadTokenizer(settings.modelPath));
    const data::TemplateDetection modelTemplate = take(data::detectModelChatTemplate(settings.modelPath));

    log("reading and tokenizing " + settings.dataset.trainPath);
    auto progress = [&](std::uint64_t, std::uint64_t) { return !cancelled(); };
    setup.data = take(data::DataLoader::open(settings.dataset, *setup.tokenizer, &modelTemplate, progress));
    const data::DataStats &stats = setup.data->stats();
    for (const std::string &warning : stats.warnings)
        log("warning: " + warning);
    setup.plan.trainExamples = stats.trainExamples;
    setup.plan.validationExamples = stats.validationExamples;
    checkObjective(settings, stats.shape);
    if (settings.training.preference())
        setup.preference = PreferenceSettings::of(settings.training);

    checkMemory(settings, setup.device, setup.plan);
    log("loading the base model on " + setup.plan.device);
    setup.model.emplace(loadCausalLm(settings.modelPath, CausalLmOptions{ setup.device }));
    setup.model->net()->setGradientCheckpointing(settings.training.gradientCheckpointing);
    setup.plan.baseParameters = 0;
    for (const torch::Tensor &parameter : setup.model->module().parameters())
        setup.plan.baseParameters += parameter.numel();

    setup.lora.emplace(LoraModel::inject(*setup.model, settings.lora, settings.training.seed));
    describeMatrices(*setup.lora, setup.plan);
    if (settings.training.baseWeights == "nf4") {
        const BaseQuantization q = quantizeBaseNf4(*setup.model); // after inject: PiSSA reads the f32 base
        char sizes[96];
        std::snprintf(sizes, sizeof sizes, "%.1f MiB -> %.1f MiB", static_cast<double>(q.bytesBefore) / 1048576.0,
            static_cast<double>(q.bytesAfter) / 1048576.0);
        log("stored " + std::to_string(q.projections) + " base projections as NF4: " + sizes);
    }
    if (setup.device.is_cuda())
        log(computePrecisionNote(setup.device));
    if (resolveBaseWeights(settings.training.baseWeights, cudaBf16Autocast(setup.device)) == "bf16")
        log("stored " + std::to_string(storeBaseBf16(*setup.model).projections) + " base projections in bf16");
    for (auto &[name, parameter] : setup.lora->namedParameters())
        setup.parameters.push_back(parameter);
    setup.optimizer = std::make_unique<LoraPlusOptimizer>(setup.lora->namedParameters(), settings.optimizer);

    setup.plan.totalSteps = plannedSteps(settings.training, *setup.data);
    setup.plan.tokensPerStep = static_cast<std::int64_t>(settings.training.batchSize)
        * settings.training.gradientAccumulation * settings.dataset.maxLength;
    return setup;
}

BatchTensors toTensors(const data::Batch &batch, const torch::Device &device)
{
    const auto shape = std::vector<std::int64_t>{ batch.rows, batch.columns };
    BatchTensors tensors;
    // from_blob views the vectors; to(kInt64) copies, so the batch may go away afterwards.
    tensors.ids = torch::from_blob(const_cast<TokenId *>(batch.inputIds.data()), shape, torch::kInt32)
                      .to(device, torch::kInt64); // (B, T)
    tensors.labels = torch::from_blob(const_cast<TokenId *>(batch.labels.data()), shape, torch::kInt32)
                         .to(device, torch::kInt64); // (B, T)
    for (const std::int32_t mask : batch.attentionMask)
        tensors.inputTokens += mask;
    return tensors;
}

std::optional<double> evaluate(TrainingSetup &setup, int batchSize, int batches, const std::function<bool()> &cancelled,
    RankGroup *ranks, PreferenceTotals *preference)
{
    const std::int64_t available = setup.data->validationBatchCount(batchSize);
    const std::int64_t count = batches > 0 ? std::min<std::int64_t>(batches, available) : available;
    if (count == 0)
        return std::numeric_limits<double>::quiet_NaN();
    torch::NoGradGuard noGrad;
    setup.lora->setTraining(false);
    double lossSum = 0.0;
    std::int64_t tokens = 0;
    for (std::int64_t i = 0; i < count; ++i) {
        if (cancelled()) {
            setup.lora->setTraining(true);
            return std::nullopt;
        }
        const data::Batch batch = setup.data->validationBatch(i, batchSize);
        const BatchShard shard = ranks ? shardOf(batch, ranks->rank(), ranks->size()) : BatchShard{};
        if (shard.placeholder)
            continue; // evaluation draws no random numbers: nothing to keep in step
        const data::Batch &rows = ranks ? shard.batch : batch; // one process: the whole batch, not copied
        const BatchTensors tensors = toTensors(rows, setup.device);
        if (setup.preference) {
            const SequenceLogProbs policy = sequenceLogProbs(*setup.model, tensors.ids, tensors.labels);
            const torch::Tensor reference = setup.reference
                ? setup.reference->logProbs(*setup.model, tensors.ids, tensors.labels).sums
                : torch::Tensor();
            PreferenceTotals totals;
            preferenceLosses(*setup.preference, policy.sums, policy.counts, reference, totals);
            lossSum += totals.loss;
            tokens += rows.preferencePairs;
            if (preference)
                preference->add(totals);
            continue;
        }
        lossSum += causalLmLossSum(setup.model->forward(tensors.ids), tensors.labels).item<double>();
        tokens += rows.trainedTokens;
    }
    setup.lora->setTraining(true);
    if (ranks) {
        const std::vector<double> sums = ranks->sum({ lossSum, static_cast<double>(tokens) });
        lossSum = sums[0];
        tokens = static_cast<std::int64_t>(sums[1]);
    }
    return tokens > 0 ? lossSum / static_cast<double>(tokens) : std::numeric_limits<double>::quiet_NaN();
}

torch::Tensor probeIds(data::DataLoader &data, const torch::Device &device)
{
    constexpr std::int64_t kProbeTokens = 128;
    data::Batch batch;
    if (data.validationBatchCount(1) > 0) {
        batch = data.validationBatch(0, 1);
    } else {
        const data::DataCursor cursor = data.cursor();
        batch = data.nextBatch(1);
        const Status restored = data.restore(cursor);
        if (!restored)
            throw Error("internal error: cannot rewind the data after taking the probe batch: " + restored.message());
    }
    std::int64_t length = 0;
    for (const std::int32_t mask : batch.attentionMask)
        length += mask;
    const BatchTensors tensors = toTensors(batch, device);
    return tensors.ids.slice(1, 0, std::max<std::int64_t>(2, std::min(length, kProbeTokens))); // (1, ≤ 128)
}

} // namespace engine

#include "engine/bench/trainbench.h"

#include "engine/bench/benchshape.h"
#include "engine/bench/sgemmrate.h"
#include "engine/core/runtime.h"
#include "engine/core/stopwatch.h"
#include "engine/core/torchcompat.h"
#include "engine/lora/loramodel.h"
#include "engine/model/causallm.h"
#include "engine/quant/basequantization.h"
#include "engine/train/adaptermetrics.h"
#include "engine/train/autocastscope.h"
#include "engine/train/computeprecision.h"
#include "engine/train/deltaprobe.h"
#include "engine/train/loraplusoptimizer.h"
#include "engine/train/trainingconfig.h"
#include "engine/train/trainingsetup.h"
#include "engine/train/trainstep.h"

#include <torch/torch.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <optional>

#if defined(__unix__)
#include <sys/resource.h>
#endif

namespace engine {

namespace {

constexpr int kLoraRank = 16;
constexpr double kLoraAlpha = 32.0;
constexpr std::int64_t kProbeTokens = 128;

struct CpuTimes
{
    double user = 0.0, system = 0.0;
    std::uint64_t peakRssBytes = 0;
};

CpuTimes cpuTimes()
{
    CpuTimes times;
#if defined(__unix__)
    rusage usage {};
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
        times.user = static_cast<double>(usage.ru_utime.tv_sec) + usage.ru_utime.tv_usec / 1e6;
        times.system = static_cast<double>(usage.ru_stime.tv_sec) + usage.ru_stime.tv_usec / 1e6;
        times.peakRssBytes = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024u; // Linux: KiB
    }
#endif
    return times;
}

// normal(0, 0.02) for matrices and embeddings, 1 for norm weights, 0 for biases.
void randomiseWeights(torch::nn::Module &net)
{
    torch::NoGradGuard noGrad;
    for (auto &item : net.named_parameters()) {
        torch::Tensor &parameter = item.value();
        const std::string &name = item.key();
        if (parameter.dim() >= 2)
            parameter.normal_(0.0, 0.02);
        else if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0)
            parameter.zero_();
        else
            parameter.fill_(1.0);
    }
}

LoraConfig benchLoraConfig()
{
    LoraConfig config;
    config.rank = kLoraRank;
    config.alpha = kLoraAlpha;
    config.targetMode = TargetMode::AllLinear; // every attention and MLP projection, not lm_head
    return config;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

Status checkOptions(const BenchOptions &options)
{
    if (!benchShape(options.shape)) {
        std::string known;
        for (const std::string &name : benchShapeList())
            known += (known.empty() ? "" : ", ") + name;
        return Status::failure("unknown benchmark shape '" + options.shape + "' (hint: use one of " + known + ")");
    }
    TrainingConfig training;
    training.device = options.device;
    training.baseWeights = options.baseWeights;
    if (Status status = training.validate(); !status)
        return Status::failure("bench: " + status.message());
    if (options.steps < 1 || options.warmupSteps < 0 || options.batchSize < 1 || options.sequenceLength < 2
        || options.threads < 0)
        return Status::failure("benchmark steps, batch size and threads must be positive, warm-up steps not "
                               "negative and sequences at least 2 tokens (hint: check --steps and --threads)");
    return Status::success();
}

constexpr std::int64_t kSgemmSize = 2048;
// On a GPU a 2048² product takes microseconds, so launch and synchronisation
// would dominate its timing; 8192² bf16 (1.1 TFLOP) runs for about a millisecond.
constexpr std::int64_t kCudaGemmSize = 8192;

// Peak figures of the CUDA caching allocator, kept across the measured steps.
struct GpuPeaks
{
    int device = -1; // -1: not CUDA
    std::int64_t allocated = 0, reserved = 0;

    void reset() const
    {
        if (device >= 0)
            torchcompat::resetCudaPeakMemory(device);
    }
    void record()
    {
        if (device < 0)
            return;
        torch::cuda::synchronize(device);
        allocated = std::max(allocated, torchcompat::cudaPeakAllocatedBytes(device).value_or(0));
        reserved = std::max(reserved, torchcompat::cudaPeakReservedBytes(device).value_or(0));
    }
};

BenchResult runBench(const BenchOptions &options)
{
    if (options.threads > 0)
        setThreadCount(options.threads);
    torch::manual_seed(options.seed);
    const ModelConfig config = *benchShape(options.shape);
    if (options.sequenceLength > config.maxPositions)
        throw Error("sequence length " + std::to_string(options.sequenceLength) + " exceeds the shape's "
            + std::to_string(config.maxPositions) + " positions (hint: use a shorter sequence)");
    const torch::Device device = parseDevice(options.device);
    const CausalLm model(buildCausalLmNet(config), "", {});
    randomiseWeights(model.module());
    model.module().to(device);
    model.net()->setGradientCheckpointing(options.gradientCheckpointing);
    LoraModel lora = LoraModel::inject(model, benchLoraConfig(), options.seed);
    lora.setTraining(true);
    const std::vector<torch::Tensor> parameters = lora.parameters();
    const OptimizerConfig optimizerConfig;
    LoraPlusOptimizer optimizer(lora.namedParameters(), optimizerConfig);
    AdapterMetrics adapterMetrics(lora);
    const TrainingConfig training;
    const auto idOptions = torch::TensorOptions().dtype(torch::kInt64).device(device);
    DeltaProbe probe(model, lora, torch::randint(0, config.vocabSize, { 1, kProbeTokens }, idOptions));
    std::unique_ptr<RankGroup> ranks; // every rank builds the same model and batches from the seed
    if (options.distributed.enabled())
        ranks = std::make_unique<RankGroup>(options.distributed,
            std::hash<std::string>{}(options.shape + ' ' + std::to_string(options.batchSize) + ' '
                + std::to_string(options.sequenceLength) + ' ' + std::to_string(options.steps)),
            std::function<bool()>());
    const bool leader = !ranks || ranks->isLeader();
    if (ranks && options.batchSize < ranks->size())
        throw Error("bench: batch " + std::to_string(options.batchSize) + " is smaller than the "
            + std::to_string(ranks->size()) + " processes (hint: give each process a row at least)");
    const TrainStepParts parts{ model, optimizer, parameters, adapterMetrics, &probe, ranks.get(), nullptr, nullptr };

    BenchResult result;
    result.shape = options.shape;
    result.steps = options.steps;
    result.warmupSteps = options.warmupSteps;
    result.threads = torch::get_num_threads();
    result.device = device.str();
    result.batchSize = options.batchSize;
    result.sequenceLength = options.sequenceLength;
    result.gradientCheckpointing = options.gradientCheckpointing;
    result.baseWeights = resolveBaseWeights(options.baseWeights, cudaBf16Autocast(device));
    result.metrics = options.metrics;
    for (const torch::Tensor &parameter : model.module().parameters())
        result.baseParameters += parameter.numel();
    result.loraParameters = lora.parameterCount();
    std::int64_t projectionWeights = 0;
    for (const NamedLinear &linear : model.linearModules())
        projectionWeights += linear.module->inFeatures() * linear.module->outFeatures();
    if (result.baseWeights == "nf4")
        quantizeBaseNf4(model);
    else if (result.baseWeights == "bf16")
        storeBaseBf16(model);
    // As Trainer::run does, from here on; not before, so the f32 weights that
    // quantisation frees go back to the system instead of staying in the heap.
    const KeepFreedMemory keep;
    for (const torch::Tensor &parameter : model.module().parameters())
        result.baseWeightBytes += parameter.numel() * static_cast<std::int64_t>(parameter.element_size());
    for (const NamedLinear &linear : model.linearModules())
        if (linear.module->isQuantized())
            result.baseWeightBytes += linear.module->weightBytes();

    const std::int64_t B = options.batchSize, T = options.sequenceLength;
    const int total = options.warmupSteps + options.steps;
    std::vector<double> stepMs, sgemmSamples;
    double metricsMs = 0.0, allReduceMs = 0.0;
    const std::int64_t firstRow = ranks ? B * ranks->rank() / ranks->size() : 0; // this rank's rows
    const std::int64_t lastRow = ranks ? B * (ranks->rank() + 1) / ranks->size() : B;
    result.ranks = ranks ? ranks->size() : 1;
    std::vector<MatrixMetrics> matrices(lora.matrices().size());
    const AutocastScope autocast(device);
    const std::int64_t gemmSize = device.is_cuda() ? kCudaGemmSize : kSgemmSize;
    GpuPeaks gpu{ device.is_cuda() ? static_cast<int>(device.index()) : -1 };
    CpuTimes measuredStart;
    std::optional<torch::autograd::profiler::RecordProfile> profile; // written when it goes
    for (int step = 0; step < total; ++step) {
        if (step == options.warmupSteps) {
            measuredStart = cpuTimes();
            gpu.reset();
            if (!options.profilePath.empty())
                profile.emplace(options.profilePath);
        }
        const torch::Tensor ids = torch::randint(0, config.vocabSize, { B, T }, idOptions) // (B, T)
                                      .slice(0, firstRow, lastRow); // (B / ranks, T)
        TrainStepSettings settings;
        settings.firstTokens = { firstRow * T };
        settings.lossDivisor = static_cast<double>(B * (T - 1));
        settings.maxGradNorm = optimizerConfig.maxGradNorm;
        settings.scheduleFactor = scheduleFactor(optimizerConfig, step, total);
        settings.perMatrixMetrics = options.metrics && leader;
        settings.probing = options.metrics && leader && training.probeEvery > 0 && (step + 1) % training.probeEvery == 0;
        const Stopwatch stopwatch;
        const TrainStepResult outcome = runTrainStep(parts, { ids }, { ids }, settings, matrices);
        if (device.is_cuda())
            torch::cuda::synchronize(device.index()); // the optimizer's kernels belong to this step
        const double ms = stopwatch.milliseconds();
        if (step == 0)
            result.firstLoss = outcome.loss;
        result.lastLoss = outcome.loss;
        if (step >= options.warmupSteps) {
            stepMs.push_back(ms);
            metricsMs += outcome.metricsMs;
            allReduceMs += outcome.allReduceMs;
            gpu.record();
            if (!profile) // (a profile would record the samples as model work)
                sgemmSamples.push_back(measureSgemmGflops(gemmSize, 1, result.device));
            gpu.reset(); // so the sample's matrices do not count as training memory
        }
    }
    const CpuTimes measuredEnd = cpuTimes();
    profile.reset();
    result.userSeconds = measuredEnd.user - measuredStart.user;
    result.systemSeconds = measuredEnd.system - measuredStart.system;
    result.peakRssBytes = measuredEnd.peakRssBytes; // before the sgemm measurement allocates its matrices
    result.peakGpuAllocatedBytes = gpu.allocated;
    result.peakGpuReservedBytes = gpu.reserved;

    result.medianStepMs = median(stepMs);
    double sum = 0.0;
    for (const double ms : stepMs)
        sum += ms;
    result.meanStepMs = sum / static_cast<double>(stepMs.size());
    result.metricsShare = sum > 0.0 ? metricsMs / sum : 0.0;
    result.allReduceShare = sum > 0.0 ? allReduceMs / sum : 0.0;
    const double seconds = result.medianStepMs / 1000.0;
    result.tokensPerSecond = static_cast<double>(B * T) / seconds;
    result.modelGflopPerStep = trainingFlopsPerStep(config, B, T, projectionWeights, result.loraParameters) / 1e9;
    result.achievedGflops = result.modelGflopPerStep / seconds;
    if (sgemmSamples.empty())
        for (int i = 0; i < 3; ++i)
            sgemmSamples.push_back(measureSgemmGflops(gemmSize, 1, result.device));
    result.sgemmGflops = median(sgemmSamples);
    result.sgemmGflopsBest = *std::max_element(sgemmSamples.begin(), sgemmSamples.end());
    result.mfu = result.sgemmGflops > 0.0 ? result.achievedGflops / result.sgemmGflops : 0.0;
    return result;
}

} // namespace

std::vector<std::string> benchShapeNames()
{
    return benchShapeList();
}

Result<BenchResult> runTrainBench(const BenchOptions &options)
{
    if (Status status = checkOptions(options); !status)
        return status;
    return guard([&] { return runBench(options); });
}

} // namespace engine

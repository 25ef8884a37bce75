// lorafit-gpucheck: the engine's CUDA checks and benchmark without Qt, for a
// GPU machine that has LibTorch (or a pip PyTorch) but no Qt. Subcommands,
// each printing one JSON object on stdout:
//   info        LibTorch version, whether it has CUDA, the devices
//   attention   the CUDA attention path (scaled_dot_product_attention) against
//               the CPU kernel, f32 and bf16, plain and grouped-query heads
//   losses      the same LoRA training (tiny llama shape, one fixed batch
//               repeated) on the CPU in f32 and on CUDA under bf16 autocast:
//               losses within 5 % step by step, and falling (--device cpu
//               runs the CPU against itself: a dry run of the check)
//   bench       engine::runTrainBench with the options of `lorafit-cli bench`
//               (--shape --steps --warmup --batch --length --device
//               --base-weights --threads), under the same JSON keys
//   eval        `lorafit-cli eval` without Qt: --model DIR [--adapter DIR]
//               --text FILE [--max-length N] [--device D] [--token-losses
//               OUT.tsv], the same TSV (what tests/reference/peft_crosscheck.py
//               compares with transformers + PEFT on the GPU)
// A check prints "skipped" and exits 0 when CUDA is absent; it exits 1 when a
// comparison fails and 2 on bad usage. tests/bench/gpu_check.sh runs them.
// Shape letters: B = batch, nh = heads, T = tokens, hd = head width.
#include "engine/bench/benchshape.h"
#include "engine/bench/trainbench.h"
#include "engine/core/atomicfile.h"
#include "engine/core/runtime.h"
#include "engine/core/torchcompat.h"
#include "engine/lora/loramodel.h"
#include "engine/model/attention.h"
#include "engine/generate/inferencesession.h"
#include "engine/model/causallm.h"
#include "engine/train/adaptermetrics.h"
#include "engine/train/autocastscope.h"
#include "engine/train/computeprecision.h"
#include "engine/train/loraplusoptimizer.h"
#include "engine/train/trainstep.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <string>

namespace {

using Json = nlohmann::json;
using Options = std::map<std::string, std::string>;

constexpr int kPass = 0, kFail = 1, kUsage = 2;

double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    const torch::Tensor a = actual.to(torch::kCPU, torch::kFloat), e = expected.to(torch::kCPU, torch::kFloat);
    return ((a - e).abs().max() / e.abs().max().clamp_min(1e-12)).item<double>();
}

int print(const Json &result, int code)
{
    std::cout << result.dump() << std::endl;
    return code;
}

Json skipped(const std::string &check)
{
    return { { "check", check }, { "skipped", true },
        { "reason", engine::torchcompat::builtWithCuda() ? "no CUDA device visible" : "this LibTorch has no CUDA" } };
}

int info()
{
    const engine::RuntimeInfo runtime = engine::runtimeInfo();
    Json devices = Json::array();
    for (const engine::DeviceInfo &device : runtime.devices) {
        Json entry = { { "id", device.id }, { "name", device.name } };
        if (device.id.rfind("cuda:", 0) == 0)
            entry["compute_capability"]
                = engine::torchcompat::cudaComputeCapability(std::stoi(device.id.substr(5))).value_or(0);
        devices.push_back(entry);
    }
    return print({ { "check", "info" }, { "torch", runtime.torchVersion }, { "cuda_built", runtime.cudaBuilt },
                     { "sdpa", engine::torchcompat::kHasSdpa }, { "sdpa_gqa", engine::torchcompat::kSdpaHasGqa },
                     { "cxx", static_cast<long>(__cplusplus) }, { "devices", devices } },
        kPass);
}

// causalAttention on CUDA (the fused op) against the CPU kernel on the same
// inputs: f32 at 1e-4 (the GPU may use TF32-free fused kernels whose sums
// run in another order), bf16 at 2e-2 (8 significant bits).
int attention()
{
    if (!torch::cuda::is_available())
        return print(skipped("attention"), kPass);
    Json rows = Json::array();
    bool ok = true;
    for (const int kvHeads : { 8, 2 }) {
        torch::manual_seed(11);
        const torch::Tensor q = torch::randn({ 2, 8, 256, 64 });       // (B, nh, T, hd)
        const torch::Tensor k = torch::randn({ 2, kvHeads, 256, 64 }); // (B, nkv, T, hd)
        const torch::Tensor v = torch::randn({ 2, kvHeads, 256, 64 }); // (B, nkv, T, hd)
        const torch::Tensor reference = engine::causalAttention(q, k, v, 0); // (B, nh, T, hd) CPU f32
        for (const auto dtype : { torch::kFloat, torch::kBFloat16 }) {
            const auto onGpu = [&](const torch::Tensor &t) { return t.to(torch::kCUDA, dtype); };
            const torch::Tensor out = engine::causalAttention(onGpu(q), onGpu(k), onGpu(v), 0); // (B, nh, T, hd)
            const double error = relativeError(out, reference);
            const double tolerance = dtype == torch::kFloat ? 1e-4 : 2e-2;
            ok = ok && error <= tolerance;
            rows.push_back({ { "kv_heads", kvHeads }, { "heads", 8 }, { "dtype", dtype == torch::kFloat ? "f32" : "bf16" },
                { "relative_error", error }, { "tolerance", tolerance }, { "pass", error <= tolerance } });
        }
    }
    return print({ { "check", "attention" }, { "sdpa", engine::torchcompat::kHasSdpa }, { "rows", rows }, { "pass", ok } },
        ok ? kPass : kFail);
}

// normal(0, 0.02) for matrices and embeddings, 1 for norm weights, 0 for biases; seeded on the CPU.
void randomise(torch::nn::Module &net, std::uint64_t seed)
{
    torch::NoGradGuard noGrad;
    torch::manual_seed(seed);
    for (auto &item : net.named_parameters()) {
        torch::Tensor &parameter = item.value();
        if (parameter.dim() >= 2)
            parameter.normal_(0.0, 0.02);
        else
            parameter.fill_(item.key().size() >= 4 && item.key().substr(item.key().size() - 4) == "bias" ? 0.0 : 1.0);
    }
}

// Losses of `steps` LoRA+ steps on one fixed (4, 64) batch of the tiny shape on `device`.
std::vector<double> overfitLosses(const torch::Device &device, int steps, std::string &precision)
{
    const engine::ModelConfig config = *engine::benchShape("tiny");
    const engine::CausalLm model(engine::buildCausalLmNet(config), "", {});
    randomise(model.module(), 5);
    model.module().to(device);
    engine::LoraConfig loraConfig;
    loraConfig.rank = 16;
    loraConfig.alpha = 32.0;
    loraConfig.dropout = 0.0; // the two devices draw different dropout masks
    loraConfig.targetMode = engine::TargetMode::AllLinear;
    engine::LoraModel lora = engine::LoraModel::inject(model, loraConfig, 7);
    lora.setTraining(true);
    const std::vector<torch::Tensor> parameters = lora.parameters();
    engine::OptimizerConfig optimizerConfig;
    optimizerConfig.learningRate = 1e-3;
    engine::LoraPlusOptimizer optimizer(lora.namedParameters(), optimizerConfig);
    engine::AdapterMetrics adapterMetrics(lora);
    const engine::TrainStepParts parts{ model, optimizer, parameters, adapterMetrics, nullptr, nullptr, nullptr, nullptr };
    torch::manual_seed(9);
    const torch::Tensor ids = torch::randint(0, config.vocabSize, { 4, 64 }, torch::kInt64).to(device); // (B, T)
    const engine::AutocastScope autocast(device);
    precision = device.is_cuda() ? engine::computePrecisionNote(device) : "f32";
    std::vector<engine::MatrixMetrics> matrices(lora.matrices().size());
    std::vector<double> losses;
    for (int step = 0; step < steps; ++step) {
        engine::TrainStepSettings settings;
        settings.lossDivisor = 4.0 * 63.0;
        settings.maxGradNorm = 1.0;
        settings.perMatrixMetrics = false;
        losses.push_back(engine::runTrainStep(parts, { ids }, { ids }, settings, matrices).loss);
    }
    return losses;
}

int losses(const Options &options)
{
    const std::string device = options.count("device") ? options.at("device") : "cuda:0";
    if (device != "cpu" && !torch::cuda::is_available()) // (--device cpu: the CPU against itself, a dry run)
        return print(skipped("losses"), kPass);
    const int steps = options.count("steps") ? std::stoi(options.at("steps")) : 12;
    std::string cpuPrecision, cudaPrecision;
    const std::vector<double> cpu = overfitLosses(torch::kCPU, steps, cpuPrecision);
    const std::vector<double> cuda = overfitLosses(torch::Device(device), steps, cudaPrecision);
    double worst = 0.0;
    for (std::size_t i = 0; i < cpu.size(); ++i)
        worst = std::max(worst, std::abs(cuda[i] - cpu[i]) / std::abs(cpu[i]));
    const bool ok = worst <= 0.05 && cuda.back() < cuda.front() && cpu.back() < cpu.front();
    return print({ { "check", "losses" }, { "cpu", cpu }, { "cuda", cuda }, { "worst_relative_difference", worst },
                     { "tolerance", 0.05 }, { "cuda_precision", cudaPrecision }, { "pass", ok } },
        ok ? kPass : kFail);
}

int bench(const Options &options)
{
    engine::BenchOptions o;
    const auto number = [&](const char *name, int &out) {
        if (options.count(name))
            out = std::stoi(options.at(name));
    };
    if (options.count("shape"))
        o.shape = options.at("shape");
    if (options.count("device"))
        o.device = options.at("device");
    if (options.count("base-weights"))
        o.baseWeights = options.at("base-weights");
    number("steps", o.steps);
    number("warmup", o.warmupSteps);
    number("batch", o.batchSize);
    number("length", o.sequenceLength);
    number("threads", o.threads);
    o.metrics = !options.count("no-metrics");
    const engine::Result<engine::BenchResult> result = engine::runTrainBench(o);
    if (!result)
        return print({ { "check", "bench" }, { "error", result.status().message() } }, kFail);
    const engine::BenchResult &r = result.value();
    constexpr double kMiB = 1024.0 * 1024.0;
    return print({ { "shape", r.shape }, { "steps", r.steps }, { "warmup_steps", r.warmupSteps }, { "threads", r.threads },
                     { "device", r.device }, { "torch", engine::runtimeInfo().torchVersion },
                     { "batch_size", r.batchSize }, { "sequence_length", r.sequenceLength }, { "metrics", r.metrics },
                     { "base_weights", r.baseWeights }, { "base_weight_bytes", r.baseWeightBytes },
                     { "lora_parameters", r.loraParameters }, { "tokens_per_second", r.tokensPerSecond },
                     { "ms_per_step", r.medianStepMs }, { "ms_per_step_mean", r.meanStepMs },
                     { "peak_rss_bytes", r.peakRssBytes }, { "peak_rss_mib", static_cast<double>(r.peakRssBytes) / kMiB },
                     { "peak_gpu_bytes", r.peakGpuAllocatedBytes },
                     { "peak_gpu_mib", static_cast<double>(r.peakGpuAllocatedBytes) / kMiB },
                     { "peak_gpu_reserved_mib", static_cast<double>(r.peakGpuReservedBytes) / kMiB },
                     { "model_gflop_per_step", r.modelGflopPerStep }, { "achieved_gflops", r.achievedGflops },
                     { "sgemm_gflops", r.sgemmGflops }, { "mfu", r.mfu }, { "user_seconds", r.userSeconds },
                     { "system_seconds", r.systemSeconds }, { "first_loss", r.firstLoss }, { "last_loss", r.lastLoss } },
        kPass);
}

int eval(const Options &options)
{
    if (!options.count("model") || !options.count("text"))
        return print({ { "check", "eval" }, { "error", "eval needs --model DIR and --text FILE" } }, kUsage);
    const std::string device = options.count("device") ? options.at("device") : "cpu";
    auto session = engine::InferenceSession::open(options.at("model"), device);
    if (!session)
        return print({ { "check", "eval" }, { "error", session.message() } }, kFail);
    if (options.count("adapter")) {
        if (const engine::Status status = session.value()->setAdapter(options.at("adapter")); !status)
            return print({ { "check", "eval" }, { "error", status.message() } }, kFail);
    }
    const std::int64_t window = options.count("max-length") ? std::stoll(options.at("max-length")) : 0;
    const engine::Result<engine::TextEvaluation> evaluation
        = session.value()->evaluate(engine::readFile(options.at("text")), window, nullptr);
    if (!evaluation)
        return print({ { "check", "eval" }, { "error", evaluation.message() } }, kFail);
    if (options.count("token-losses"))
        engine::writeFileAtomically(options.at("token-losses"), engine::tokenLossTable(evaluation.value()));
    const engine::TextEvaluation &e = evaluation.value();
    return print({ { "check", "eval" }, { "device", session.value()->info().device }, { "tokens", e.textTokens },
                     { "predicted", e.tokens.size() }, { "windows", e.windows }, { "mean_loss", e.meanLoss },
                     { "perplexity", e.perplexity } },
        kPass);
}

// "--name value" pairs after the subcommand; a flag without a value maps to "".
bool parse(int argc, char **argv, Options &options)
{
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0)
            return false;
        const bool hasValue = i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0;
        options[arg.substr(2)] = hasValue ? argv[++i] : "";
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    engine::initRuntime();
    const std::string command = argc > 1 ? argv[1] : "";
    Options options;
    if (!parse(argc, argv, options)
        || (command != "info" && command != "attention" && command != "losses" && command != "bench"
            && command != "eval")) {
        std::fprintf(stderr, "usage: lorafit-gpucheck info | attention | losses [--steps N] [--device cuda:N] | "
                             "bench [--shape S] [--steps N] [--warmup N] [--batch N] [--length N] [--device D] "
                             "[--base-weights K] [--threads N] [--no-metrics] | eval --model DIR [--adapter DIR] "
                             "--text FILE [--max-length N] [--device D] [--token-losses OUT.tsv]\n");
        return kUsage;
    }
    try {
        if (command == "info")
            return info();
        if (command == "attention")
            return attention();
        if (command == "losses")
            return losses(options);
        if (command == "eval")
            return eval(options);
        return bench(options);
    } catch (const std::exception &error) {
        return print({ { "check", command }, { "error", error.what() } }, kFail);
    }
}

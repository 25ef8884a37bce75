// Benchmark: loading a 124M-parameter GPT-2-shaped f32 safetensors model.
//   bench_load [--keep DIR]   writes the model to a temporary folder (or DIR),
//                             then loads it 3 times, each in a fresh process,
//                             and prints load time and peak RSS (VmHWM).
//   bench_load --load DIR     one measurement (used by the parent run).
// Targets (issue [base-models]): load < 1 s, peak RSS < 1.3x the weight bytes.
// The page cache is warm (the file was just written): this measures Lorafit's
// loading, not the disk.
#include "engine/core/atomicfile.h"
#include "engine/io/safetensorstorch.h"
#include "engine/model/causallm.h"

#include <QCoreApplication>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

const char *const kConfig = R"({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 50257,
  "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024, "n_inner": null,
  "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05, "torch_dtype": "float32"})";

// VmHWM or VmRSS of this process in bytes.
std::uint64_t statusBytes(const std::string &key)
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(key + ":", 0) == 0)
            return std::stoull(line.substr(key.size() + 1)) * 1024;
    return 0;
}

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void writeModel(const std::string &folder)
{
    const auto parsed = engine::parseModelConfig(kConfig, "bench config");
    const auto net = engine::buildCausalLmNet(parsed.value());
    std::vector<std::pair<std::string, torch::Tensor>> weights;
    torch::manual_seed(0);
    for (const auto &item : net->named_parameters(true))
        weights.emplace_back(item.key(), torch::randn(item.value().sizes()) * 0.02);
    engine::writeFileAtomically(folder + "/config.json", kConfig);
    engine::saveSafetensors(folder + "/model.safetensors", weights);
}

// One measurement in this (fresh) process; prints "load_s rss_before hwm_load forward_s hwm_forward weight_bytes".
int measure(const std::string &folder)
{
    torch::set_num_threads(2);
    const std::uint64_t rssBefore = statusBytes("VmRSS");
    const auto start = std::chrono::steady_clock::now();
    const engine::CausalLm model = engine::loadCausalLm(folder);
    const double loadSeconds = secondsSince(start);
    const std::uint64_t hwmLoad = statusBytes("VmHWM");
    std::uint64_t weightBytes = 0;
    for (const auto &p : model.module().parameters())
        weightBytes += p.nbytes();
    const auto forwardStart = std::chrono::steady_clock::now();
    torch::NoGradGuard noGrad;
    const torch::Tensor logits = model.forward(torch::arange(16, torch::kInt64).view({ 1, 16 })); // (1, 16, V)
    const double forwardSeconds = secondsSince(forwardStart);
    std::printf("%.4f %llu %llu %.4f %llu %llu %.3f\n", loadSeconds, (unsigned long long)rssBefore,
        (unsigned long long)hwmLoad, forwardSeconds, (unsigned long long)statusBytes("VmHWM"),
        (unsigned long long)weightBytes, logits.abs().mean().item<double>());
    return 0;
}

double mib(double bytes)
{
    return bytes / (1024.0 * 1024.0);
}

int runAll(const std::string &keep, const QString &self)
{
    QTemporaryDir temp;
    const std::string folder = keep.empty() ? temp.path().toStdString() : keep;
    auto start = std::chrono::steady_clock::now();
    writeModel(folder);
    std::printf("wrote %s/model.safetensors in %.2f s\n", folder.c_str(), secondsSince(start));
    std::printf("run  load_s  rss_before_MiB  peak_after_load_MiB  first_forward_s  peak_after_forward_MiB  "
                "weights_MiB  peak/weights\n");
    for (int run = 1; run <= 3; ++run) {
        QProcess child;
        child.start(self, { QStringLiteral("--load"), QString::fromStdString(folder) });
        if (!child.waitForFinished(300000) || child.exitCode() != 0) {
            std::fprintf(stderr, "measurement failed: %s\n", child.readAllStandardError().constData());
            return 1;
        }
        double load = 0, before = 0, hwmLoad = 0, forward = 0, hwmForward = 0, weights = 0, check = 0;
        std::sscanf(child.readAllStandardOutput().constData(), "%lf %lf %lf %lf %lf %lf %lf", &load, &before, &hwmLoad,
            &forward, &hwmForward, &weights, &check);
        std::printf("%3d  %6.3f  %14.0f  %19.0f  %15.3f  %22.0f  %11.0f  %.2f (after load) %.2f (after forward)\n", run,
            load, mib(before), mib(hwmLoad), forward, mib(hwmForward), mib(weights), hwmLoad / weights,
            hwmForward / weights);
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    try {
        if (args.size() == 3 && args[1] == QLatin1String("--load"))
            return measure(args[2].toStdString());
        const std::string keep = args.size() == 3 && args[1] == QLatin1String("--keep") ? args[2].toStdString() : "";
        return runAll(keep, app.applicationFilePath());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_load: %s\n", e.what());
        return 1;
    }
}

// Project file budgets: a 32-layer model with 7 adapted modules per layer
// (224 matrices) records 10,000 steps with 5 scalars and the per-matrix metric
// kinds per step, in batches as the app drains them. Prints file growth per step
// (budget <= 12 KB) and total append time (budget < 5 s) for every-kind-every-step
// and for delta probes every 10 steps. Usage: bench_project [steps] [batch-steps]
#include "engine/project/projectstore.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace {

constexpr int kLayers = 32;
constexpr const char *kModules[] = { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
    "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj" };
constexpr const char *kNormKinds[] = { "dA_norm", "dB_norm", "A_norm", "B_norm" };
constexpr const char *kProbeKinds[] = { "delta1", "delta2", "delta3" };

struct Figures
{
    double seconds = 0;
    double bytesPerStep = 0;
    double readLossMs = 0; // scalarSeries("loss"), all steps
    double readOneMatrixMs = 0; // matrixSeries("dA_norm", one matrix), all steps
    double readAllMatricesMs = 0; // matrixSeries("dA_norm"), all matrices and steps
};

template<typename F> double milliseconds(F &&fn)
{
    const auto start = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

engine::RunSpec runSpec()
{
    engine::RunSpec spec;
    spec.name = "bench";
    spec.device = "cpu";
    for (int layer = 0; layer < kLayers; ++layer)
        for (const char *module : kModules)
            spec.matrixNames.push_back("model.layers." + std::to_string(layer) + "." + module);
    return spec;
}

engine::StepRecord stepRecord(std::int64_t step, int probeEvery, std::mt19937 &random, std::size_t matrices)
{
    std::uniform_real_distribution<float> value(0.0f, 1.0f);
    auto vector = [&] {
        std::vector<float> values(matrices);
        for (float &v : values)
            v = value(random);
        return values;
    };
    engine::StepRecord record;
    record.step = step;
    for (const char *name : { "loss", "lr_A", "lr_B", "grad_norm", "tokens_per_s" })
        record.scalars[name] = value(random);
    for (const char *kind : kNormKinds)
        record.matrices[kind] = vector();
    if (step % probeEvery == 0)
        for (const char *kind : kProbeKinds)
            record.matrices[kind] = vector();
    return record;
}

bool measure(const std::string &path, int steps, int batchSteps, int probeEvery, Figures &figures)
{
    std::filesystem::remove(path);
    auto store = engine::ProjectStore::create(path);
    if (!store) {
        std::fprintf(stderr, "bench_project: %s\n", store.message().c_str());
        return false;
    }
    const engine::RunSpec spec = runSpec();
    const std::int64_t runId = store->createRun(spec).value();
    const auto emptySize = std::filesystem::file_size(path);
    std::mt19937 random(7);
    std::chrono::duration<double> appending { 0 };
    for (int step = 0; step < steps; step += batchSteps) {
        std::vector<engine::StepRecord> batch; // built outside the timed part, as the trainer does
        for (int s = step; s < std::min(steps, step + batchSteps); ++s)
            batch.push_back(stepRecord(s, probeEvery, random, spec.matrixNames.size()));
        const auto start = std::chrono::steady_clock::now();
        const engine::Status status = store->appendMetrics(runId, batch);
        appending += std::chrono::steady_clock::now() - start;
        if (!status) {
            std::fprintf(stderr, "bench_project: %s\n", status.message().c_str());
            return false;
        }
    }
    figures.readLossMs = milliseconds([&] { (void)store->scalarSeries(runId, "loss"); });
    figures.readOneMatrixMs = milliseconds([&] { (void)store->matrixSeries(runId, "dA_norm", 100); });
    figures.readAllMatricesMs = milliseconds([&] { (void)store->matrixSeries(runId, "dA_norm"); });
    store = engine::Result<engine::ProjectStore>(engine::Status::failure("closed")); // close: WAL folded in
    figures.seconds = appending.count();
    figures.bytesPerStep = double(std::filesystem::file_size(path) - emptySize) / steps;
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    const int steps = argc > 1 ? std::atoi(argv[1]) : 10000;
    const int batchSteps = argc > 2 ? std::atoi(argv[2]) : 10;
    if (steps <= 0 || batchSteps <= 0) {
        std::fprintf(stderr, "usage: bench_project [steps] [batch-steps]\n");
        return 2;
    }
    const std::string path = (std::filesystem::temp_directory_path() / "lorafit-bench-project.lorafit").string();
    std::printf("%d steps, %d matrices (%d layers x 7 modules), 5 scalars, batches of %d steps\n", steps, kLayers * 7,
        kLayers, batchSteps);
    bool ok = true;
    for (int probeEvery : { 1, 10 }) {
        Figures figures;
        if (!measure(path, steps, batchSteps, probeEvery, figures))
            return 1;
        const bool withinBudget = figures.bytesPerStep <= 12 * 1024 && figures.seconds < 5.0;
        ok = ok && withinBudget;
        std::printf("  %-38s %8.0f bytes/step  %6.2f s total  %6.1f us/step  %s\n",
            probeEvery == 1 ? "all 7 kinds every step:" : "4 norms every step, 3 deltas every 10:",
            figures.bytesPerStep, figures.seconds, 1e6 * figures.seconds / steps,
            withinBudget ? "within budget" : "OVER BUDGET (12 KB/step, 5 s)");
        std::printf("  %-38s loss %.0f ms, one matrix %.0f ms, all 224 matrices %.0f ms\n",
            "reading every step back:", figures.readLossMs, figures.readOneMatrixMs, figures.readAllMatricesMs);
    }
    std::filesystem::remove(path);
    return ok ? 0 : 1;
}

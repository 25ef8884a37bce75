// Public (Torch-free): the training benchmark behind `lorafit-cli bench`. It
// builds a named model shape in memory with random frozen weights, attaches
// LoRA adapters (r = 16 on every attention and MLP projection) and trains on
// random token ids with the trainer's own step, then reports throughput,
// median step time, peak memory (host RSS, and on CUDA the caching
// allocator's peak) and model FLOP utilisation (MFU) against a matrix-product
// rate measured in the same process (f32 on the CPU, bf16 on CUDA). It reads
// and writes no files.
#pragma once

#include "engine/core/status.h"
#include "engine/dist/distributedconfig.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

struct BenchOptions
{
    std::string shape = "tiny"; // one of benchShapeNames()
    int steps = 10;             // measured optimizer steps
    int warmupSteps = 2;        // steps run first and not measured
    int threads = 0;            // intra-op threads; 0 = keep the current setting
    std::string device = "cpu"; // "cpu", "cuda" or "cuda:N" (bf16 autocast, as training does)
    bool metrics = true;        // per-matrix ‖ΔA‖/‖ΔB‖ every step and δ probes every probeEvery steps
    bool gradientCheckpointing = false; // recompute each layer in backward (less memory, more time)
    std::string baseWeights = "auto"; // decoder projections: "auto" (bf16 on a CUDA GPU with bf16, else f32),
                                      // "f32", "bf16" or "nf4" (dequantised on the fly, QLoRA): training.base_weights
    int batchSize = 4;          // sequences per step
    int sequenceLength = 256;   // tokens per sequence
    std::uint64_t seed = 42;
    std::string profilePath;    // non-empty: write a Chrome trace (JSON) of the measured steps' operators there
    // Data parallel: this process's rank; each rank trains its rows of every
    // batch (batchSize is the global batch) and the gradients are summed.
    DistributedConfig distributed;
};

struct BenchResult
{
    std::string shape;
    int steps = 0, warmupSteps = 0, threads = 0, batchSize = 0, sequenceLength = 0;
    std::string device;
    bool metrics = true;
    bool gradientCheckpointing = false;
    std::string baseWeights;          // as resolved: "f32", "bf16" or "nf4"
    std::int64_t baseWeightBytes = 0; // frozen weights as held during training
    std::int64_t baseParameters = 0;  // frozen
    std::int64_t loraParameters = 0;  // trainable
    double medianStepMs = 0.0;        // median over the measured steps
    double meanStepMs = 0.0;          // mean over the measured steps (includes probe steps)
    double metricsShare = 0.0;        // metric work (gradient norms, per-matrix figures, δ probes) / step time,
                                      // summed over the measured steps
    double tokensPerSecond = 0.0;     // batchSize × sequenceLength / median step time
    double modelGflopPerStep = 0.0;   // the FLOPs one step needs (see benchshape.h)
    double achievedGflops = 0.0;      // modelGflopPerStep / median step time
    double sgemmGflops = 0.0;         // a 2048² f32 product (CPU) or 8192² bf16 product (CUDA), same process:
                                      // the median of one sample after each measured step, so the rate and
                                      // the step times see the same machine (a shared VM's rate drifts)
    double sgemmGflopsBest = 0.0;     // the fastest of those samples
    double mfu = 0.0;                 // achievedGflops / sgemmGflops
    std::uint64_t peakRssBytes = 0;   // peak resident (host) memory of the process after training (0 if unknown)
    std::int64_t peakGpuAllocatedBytes = 0; // CUDA: the caching allocator's peak of tensor memory over the measured
                                            // steps (weights included; the sgemm samples excluded); 0 on the CPU
    std::int64_t peakGpuReservedBytes = 0;  // CUDA: the allocator's peak reservation from the driver (what
                                            // torch.cuda.max_memory_reserved reports); 0 on the CPU
    double userSeconds = 0.0;         // CPU time of the measured steps
    double systemSeconds = 0.0;       // kernel time of the measured steps (page faults show here)
    double firstLoss = 0.0, lastLoss = 0.0;
    int ranks = 1;                    // processes that trained each step together
    double allReduceShare = 0.0;      // summing the gradients over the ranks / step time, over the measured steps
};

// The shapes runTrainBench() knows: "tiny", "gpt2-124m", "llama-160m".
std::vector<std::string> benchShapeNames();

// Runs the benchmark. Fails for an unknown shape or non-positive counts.
Result<BenchResult> runTrainBench(const BenchOptions &options);

} // namespace engine

// Settings of the training loop: objective, length, batching, evaluation,
// checkpoints, metric probes, device and seed. Torch-free.
#pragma once

#include "engine/core/status.h"

#include <cstdint>
#include <string>

namespace engine {

struct TrainingConfig
{
    std::string objective = "sft"; // "sft" (next-token loss), "dpo" or "orpo" (preference pairs; see preferenceloss.h)
    double beta = 0.1;             // DPO: β, the strength of the pull away from the reference model
    double labelSmoothing = 0.0;   // DPO: share of pairs assumed mislabelled (conservative DPO), [0, 0.5)
    double orpoLambda = 0.1;       // ORPO: weight λ of the odds-ratio term beside the chosen answers' loss
    std::int64_t maxSteps = 0;     // optimizer steps; 0 = derive from epochs
    double epochs = 1.0;           // passes over the training split (when maxSteps = 0)
    int batchSize = 4;             // sequences per micro-batch
    int gradientAccumulation = 1;  // micro-batches per optimizer step
    std::uint64_t seed = 42;       // one seed for init, dropout, shuffling and sampling
    int evalEvery = 50;            // optimizer steps between validation losses; 0 = never
    int evalBatches = 0;           // validation micro-batches per evaluation; 0 = the whole split
    int checkpointEvery = 100;     // optimizer steps between checkpoints; 0 = only at the end
    int keepCheckpoints = 3;       // newest checkpoints kept on disk (the best-eval one is always kept)
    int probeEvery = 10;           // steps between δ-term probes; 0 = never
    int maxBadSteps = 5;           // NaN/Inf steps in a row that stop the run
    std::string device = "cpu";    // "cpu", "cuda" or "cuda:N"
    int threads = 0;               // CPU threads (per process); 0 = all cores, shared out among the processes
    int processes = 1;             // data-parallel processes on this machine (CUDA: one GPU each, cuda:0 …)
    bool gradientCheckpointing = false; // recompute activations in backward to save memory
    std::string baseWeights = "auto";   // frozen decoder projections: "f32", "bf16", "nf4" (QLoRA's 4-bit
                                        // NormalFloat), or "auto" = bf16 on CUDA, f32 on the CPU

    bool preference() const { return objective != "sft"; } // trains on chosen/rejected pairs

    Status validate() const;
    std::string toJson() const;
    static Result<TrainingConfig> fromJson(const std::string &json, const std::string &source = "training settings");
};

} // namespace engine

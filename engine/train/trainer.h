// Trainer: runs one LoRA/LoRA+ training run on the calling thread (the app's
// training thread, or the CLI's main thread). One loop: load the model and
// data, inject the adapters, then per optimizer step accumulate micro-batches,
// skip NaN/Inf steps, clip, step, report StepMetrics; evaluate, probe the
// δ-terms and write checkpoints at their intervals; obey pause/stop from any
// thread. Checkpoints are folders written atomically:
//   checkpoint-<step>/adapter_config.json, adapter_model.safetensors (a PEFT
//   adapter), optimizer.safetensors (AdamW moments, RNG state),
//   trainer_state.json ({"step", "settings": <settings document>, "cursor", ...}).
// Qt-free and Torch-free header.
#pragma once

#include "engine/core/status.h"
#include "engine/dist/distributedconfig.h"
#include "engine/train/runsettings.h"
#include "engine/train/stepmetrics.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace engine {

class MetricsQueue;

// What the run will do, known once the model and data are loaded (before step 1).
struct TrainingPlan
{
    std::vector<std::string> matrixNames; // HF module name of each adapted matrix; StepMetrics::matrices order
    std::vector<std::string> matrixKinds; // last name component ("q_proj", "c_attn", ...)
    std::vector<int> matrixLayers;        // decoder layer of each matrix
    std::int64_t firstStep = 1;           // > 1 when resuming
    std::int64_t totalSteps = 0;          // optimizer steps planned
    std::int64_t trainableParameters = 0;
    std::int64_t baseParameters = 0;
    std::int64_t trainExamples = 0;
    std::int64_t validationExamples = 0;
    std::int64_t tokensPerStep = 0;       // upper bound: batch × accumulation × max length
    std::int64_t estimatedMemoryBytes = 0;
    std::string device;                   // "cpu" or "cuda:N"
    std::string outputFolder;             // where checkpoints go
    int ranks = 1;                        // processes training the run together (data parallel)
};

struct CheckpointRecord
{
    std::int64_t step = 0;
    std::string path;       // the checkpoint folder
    std::int64_t sizeBytes = 0;
    std::string hash;       // "fnv1a64:..." over the adapter file
    double evalLoss = kNotMeasured; // at this step, if evaluated
};

enum class TrainingState { Loading, Running, Paused, Stopping, Finished };

const char *trainingStateName(TrainingState state);

// Pause / resume / stop from any thread. The trainer checks it between micro-batches.
class TrainingControl
{
public:
    void requestStop();
    void pause();
    void resume();
    bool stopRequested() const { return m_stop.load(); }
    bool isPaused() const { return m_paused.load(); }
    // Trainer side: blocks while paused (returns early on stop); true if it waited.
    bool waitWhilePaused();
    // The same for at most `milliseconds` (a data-parallel rank keeps meeting the others while paused).
    void waitWhilePausedFor(int milliseconds);

private:
    std::atomic<bool> m_stop{ false };
    std::atomic<bool> m_paused{ false };
    std::mutex m_mutex;
    std::condition_variable m_changed;
};

// Called on the training thread; keep them short (queue work for other threads).
struct TrainerCallbacks
{
    std::function<void(const TrainingPlan &)> started;
    MetricsQueue *metrics = nullptr;                      // every StepMetrics is pushed here
    std::function<void(const CheckpointRecord &)> checkpointSaved;
    std::function<void(TrainingState)> stateChanged;
    std::function<void(const std::string &)> log;        // readable progress notes and warnings
};

enum class RunEnd {
    Completed, // reached its planned steps
    Stopped,   // stop requested; a checkpoint of the last step was written
    Diverged,  // maxBadSteps NaN/Inf steps in a row; the last good checkpoint is kept
    Interrupted, // another process of a data-parallel run died; the last checkpoint is kept and resumable
};

const char *runEndName(RunEnd end);

struct TrainingOutcome
{
    RunEnd end = RunEnd::Completed;
    std::int64_t steps = 0;             // optimizer steps done (including resumed ones)
    double lastLoss = kNotMeasured;
    double lastEvalLoss = kNotMeasured;
    double bestEvalLoss = kNotMeasured;
    std::string lastCheckpoint;         // folder, empty if none
    std::string bestCheckpoint;         // folder of the best eval loss, else the last
    std::string message;                // one readable line
};

struct TrainOptions
{
    std::string outputFolder;  // checkpoints go to <outputFolder>/checkpoint-<step>
    std::string resumeFrom;    // a checkpoint folder to continue from; empty = fresh start
    // A PEFT adapter folder (Lorafit's or another tool's) whose weights start
    // a new run: its adapter_config.json replaces the LoRA settings (rank,
    // alpha, targets, ...) so the weights fit; optimizer and step start fresh.
    // Give it again with resumeFrom to resume such a run.
    std::string initAdapter;
    // Data parallelism: this process's rank among worldSize processes that
    // train the run together. The settings' batch is the global batch, split
    // by rank, so the run computes what one process computes. Rank 0 writes
    // the checkpoints and reports through the callbacks; the other ranks take
    // outputFolder and resumeFrom from rank 0 when theirs are empty.
    DistributedConfig distributed;
};

class Trainer
{
public:
    // Runs to completion, stop or divergence. Errors (bad settings, unreadable
    // data, not enough memory, a failed write) come back as a Status with the
    // engine's message; a stop is an outcome, not an error.
    static Result<TrainingOutcome> run(const RunSettings &settings, const TrainOptions &options,
        const TrainerCallbacks &callbacks, TrainingControl &control);
};

} // namespace engine

// Internal (Torch): training checkpoints. A checkpoint is a folder
//   checkpoint-<step>/adapter_config.json + adapter_model.safetensors  (a PEFT adapter)
//                     optimizer.safetensors  (AdamW moments per parameter, RNG states)
//                     trainer_state.json     (step, data cursor, losses, settings, resume hash)
// written into a hidden ".partial" folder that is renamed when complete, so a
// crash never leaves a half checkpoint. Reading restores the adapter, the
// optimizer, the RNG and returns the loop's state; it refuses a checkpoint
// whose resume hash differs from the run's.
#pragma once

#include "engine/data/batch.h"
#include "engine/lora/loramodel.h"
#include "engine/train/loraplusoptimizer.h"
#include "engine/train/trainer.h"

#include <cstdint>
#include <string>

namespace engine {

struct CheckpointState
{
    std::int64_t step = 0;          // optimizer steps done
    std::int64_t totalSteps = 0;    // planned when it was written
    data::DataCursor cursor;        // where the next training batch starts
    double loss = kNotMeasured;     // training loss of the last step
    double evalLoss = kNotMeasured; // validation loss at this step, if computed
    double bestEvalLoss = kNotMeasured;
    std::string bestCheckpoint;     // folder of the best eval loss so far
    std::uint64_t resumeHash = 0;   // RunSettings::resumeHash()
    std::string settingsDocument;   // RunSettings::toDocument()
    std::string baseModel;          // the base model's folder (adapter_config.json's base_model_name_or_path)
    std::string baseModelType;      // config.json's model_type (PEFT's fan_in_fan_out for gpt2)
    std::string lambdaController;   // LambdaController::toJson() of an automatic λ; empty otherwise
};

// Writes `<parent>/checkpoint-<step>` (replacing one of the same step). Throws engine::Error.
CheckpointRecord writeCheckpoint(const std::string &parent, const LoraModel &lora, LoraPlusOptimizer &optimizer,
    const CheckpointState &state);

// Restores `lora`, `optimizer` and the RNG from `folder`; returns its state.
// Throws engine::Error naming the folder and file when something is missing or
// belongs to other settings.
CheckpointState readCheckpoint(const std::string &folder, LoraModel &lora, LoraPlusOptimizer &optimizer,
    std::uint64_t expectedResumeHash);

// "<parent>/checkpoint-<step>".
std::string checkpointFolder(const std::string &parent, std::int64_t step);

} // namespace engine

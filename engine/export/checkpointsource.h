// Where an export starts: a trainer checkpoint folder (PEFT adapter files
// plus trainer_state.json with the step and the project settings document),
// or a run of a project file (its best-eval checkpoint, else its last). Reads
// what the export and the model card need (step, base model path, settings
// rows, training data, whether the data was conversational); loads no
// tensors. Torch-free.
#pragma once

#include "engine/core/status.h"
#include "engine/export/exportjob.h"

#include <cstdint>
#include <string>

namespace engine {

struct CheckpointSource
{
    std::string folder;        // the checkpoint (PEFT adapter) folder
    std::int64_t step = -1;    // trainer_state.json "step"; -1 when absent
    std::string modelPath;     // settings.sections.model.values.path; "" when absent
    bool conversational = false; // dataset shape messages/sharegpt, or a chat template chosen
    std::string systemPrompt;  // settings.sections.dataset.values.system_prompt; "" when absent
    ModelCardInputs card;      // data, settings and metrics rows for README.md
};

// Reads <folder>/trainer_state.json if present (a plain PEFT folder gives an
// almost empty source). Fails on a damaged trainer_state.json, naming it.
Result<CheckpointSource> readCheckpointSource(const std::string &folder);

// The checkpoint of run `runId` in the project file: the one at the step of
// the lowest "eval" loss if such a checkpoint exists, else the last one.
Result<std::string> projectRunCheckpoint(const std::string &projectFile, std::int64_t runId);

} // namespace engine

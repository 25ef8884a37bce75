// The examples an export is verified on: the first N examples of the
// checkpoint run's validation split (its training data when it has none),
// tokenized exactly as the run tokenized them but unpacked, one example per
// batch, as the export verifier needs. The settings come from the
// checkpoint's trainer_state.json. Loads the tokenizer, not the model.
#pragma once

#include "engine/core/status.h"
#include "engine/data/batch.h"

#include <string>
#include <vector>

namespace ui {

struct VerificationBatches
{
    std::vector<engine::data::Batch> batches; // one example each
    std::string description;                  // e.g. "8 validation examples"
};

// Fails naming trainer_state.json when the checkpoint carries no settings,
// or with the data loader's message when the dataset cannot be read.
engine::Result<VerificationBatches> verificationBatches(const std::string &checkpointFolder,
                                                        const std::string &baseModelFolder, int examples);

} // namespace ui

// RunSettings: everything one training run needs, as the five settings
// sections a project file stores ("model", "dataset", "lora", "optimizer",
// "training") and as the settings document `lorafit-cli train CONFIG.json`
// reads (the same JSON `lorafit-cli project export-settings` writes). Plain
// values; it does not load anything. Qt-free and Torch-free.
#pragma once

#include "engine/core/status.h"
#include "engine/data/datasetconfig.h"
#include "engine/lora/loraconfig.h"
#include "engine/train/optimizerconfig.h"
#include "engine/train/trainingconfig.h"

#include <cstdint>
#include <string>

namespace engine {

struct RunSettings
{
    std::string modelPath; // the base model's Hugging Face folder
    data::DatasetConfig dataset;
    LoraConfig lora;
    OptimizerConfig optimizer;
    TrainingConfig training;

    Status validate() const;

    // The settings document {"lorafit_settings": 1, "sections": {...}} with paths as stored here.
    std::string toDocument() const;
    // Parses a settings document; relative paths resolve against `baseFolder`
    // (the folder of the file it came from). Missing sections keep their
    // defaults, but "model" and "dataset" must give a model path and training data.
    static Result<RunSettings> fromDocument(
        const std::string &json, const std::string &source, const std::string &baseFolder = {});

    // A stable hash of the settings that decide what a step computes (everything
    // except file locations, the run length, intervals, device and threads): a
    // checkpoint only resumes a run whose hash matches.
    std::uint64_t resumeHash() const;
    // resumeHash plus the step plan (steps, epochs, evaluation, checkpoint and
    // probe cadence): what every rank of a data-parallel run must share.
    std::uint64_t rankHash() const;
};

} // namespace engine

#include "engine/train/runsettings.h"

#include "engine/project/projectsettings.h"

#include <nlohmann/json.hpp>

namespace engine {

namespace {

using json = nlohmann::json;

// FNV-1a, 64 bit: stable across runs and platforms (std::hash is not).
std::uint64_t fnv1a(const std::string &text)
{
    std::uint64_t hash = 1469598103934665603ull;
    for (const unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash;
}

// The value, or an Error with the message prefixed by `where` (empty when the message names it already).
template <typename T>
T valueOr(const Result<T> &result, const std::string &where)
{
    if (!result)
        throw Error(where.empty() ? result.message() : where + ": " + result.message());
    return result.value();
}

} // namespace

Status RunSettings::validate() const
{
    if (modelPath.empty())
        return Status::failure("model.path: no base model chosen (hint: pick a Hugging Face model folder)");
    if (dataset.trainPath.empty())
        return Status::failure("dataset.train_path: no training data chosen (hint: pick a .jsonl, .json, .csv, .tsv or "
                               ".txt file)");
    for (const Status &status : { lora.validate(), optimizer.validate(), training.validate() })
        if (!status)
            return status;
    if (optimizer.autoRatio && training.probeEvery <= 0)
        return Status::failure("optimizer.loraplus_ratio: \"auto\" adjusts λ every training.probe_every steps, and "
                               "probe_every is 0 (hint: set training.probe_every to 10)");
    return Status::success();
}

std::string RunSettings::toDocument() const
{
    const std::vector<SettingsSection> sections = {
        { "model", 1, json{ { "path", modelPath } }.dump() },
        { "dataset", data::DatasetConfig::kVersion, data::toJson(dataset) },
        { "lora", 1, lora.toJson() },
        { "optimizer", 1, optimizer.toJson() },
        { "training", 1, training.toJson() },
    };
    return settingsDocument(sections);
}

Result<RunSettings> RunSettings::fromDocument(
    const std::string &text, const std::string &source, const std::string &baseFolder)
{
    return guard([&] {
        RunSettings settings;
        for (SettingsSection section : parseSettingsDocument(text, source)) {
            const std::string values = baseFolder.empty() ? section.json
                                                          : rewriteSectionPaths(section, baseFolder, false);
            const std::string where = source + ": sections." + section.name + ".values";
            if (section.name == "model") {
                const json model = json::parse(values);
                const auto path = model.find("path");
                if (path == model.end() || !path->is_string())
                    throw Error(where + ".path: must be a string (hint: the base model's folder)");
                settings.modelPath = path->get<std::string>();
            } else if (section.name == "dataset") {
                settings.dataset = valueOr(data::datasetConfigFromJson(values), where);
            } else if (section.name == "lora") {
                settings.lora = valueOr(LoraConfig::fromJson(values, where), {});
            } else if (section.name == "optimizer") {
                settings.optimizer = valueOr(OptimizerConfig::fromJson(values, where), {});
            } else if (section.name == "training") {
                settings.training = valueOr(TrainingConfig::fromJson(values, where), {});
            }
        }
        const Status valid = settings.validate();
        if (!valid)
            throw Error(source + ": " + valid.message());
        return settings;
    });
}

std::uint64_t RunSettings::resumeHash() const
{
    TrainingConfig steps = training;
    steps.maxSteps = 0;
    steps.epochs = 1.0;
    steps.evalEvery = steps.evalBatches = steps.checkpointEvery = steps.keepCheckpoints = steps.probeEvery = 0;
    steps.maxBadSteps = 1;
    steps.device = "cpu";
    steps.threads = 0;
    steps.processes = 1; // N processes compute the run one process computes
    // How the frozen base is stored is not what a step computes on the CPU, and "auto"
    // (the default since bf16 storage) must keep the hashes of runs written as "f32".
    if (steps.baseWeights == "auto" || steps.baseWeights == "bf16")
        steps.baseWeights = "f32";
    data::DatasetConfig shaping = dataset; // where the files are does not matter; the cursor checks the data
    shaping.trainPath.clear();
    shaping.validationPath.clear();
    return fnv1a(data::toJson(shaping) + '\n' + lora.toJson() + '\n' + optimizer.toJson() + '\n' + steps.toJson());
}

std::uint64_t RunSettings::rankHash() const
{
    const TrainingConfig &t = training;
    const std::string plan = std::to_string(t.maxSteps) + ' ' + std::to_string(t.epochs) + ' '
        + std::to_string(t.evalEvery) + ' ' + std::to_string(t.evalBatches) + ' ' + std::to_string(t.checkpointEvery)
        + ' ' + std::to_string(t.probeEvery) + ' ' + std::to_string(t.maxBadSteps);
    return fnv1a(std::to_string(resumeHash()) + '\n' + plan);
}

} // namespace engine

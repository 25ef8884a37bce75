#include "engine/export/checkpointsource.h"

#include "engine/core/atomicfile.h"
#include "engine/core/jsonreader.h"
#include "engine/project/projectstore.h"

#include <filesystem>
#include <algorithm>
#include <optional>

namespace engine {

namespace {

std::string valueText(const nlohmann::json &value)
{
    return value.is_string() ? value.get<std::string>() : value.dump();
}

const nlohmann::json *sectionValues(const nlohmann::json &settings, const char *section)
{
    const nlohmann::json::json_pointer pointer(std::string("/sections/") + section + "/values");
    return settings.contains(pointer) && settings[pointer].is_object() ? &settings[pointer] : nullptr;
}

// One row per scalar setting of the sections that shape the adapter.
void addSettingRows(const nlohmann::json &settings, ModelCardInputs &card)
{
    for (const char *section : {"lora", "optimizer", "training"}) {
        const nlohmann::json *values = sectionValues(settings, section);
        if (!values)
            continue;
        for (const auto &[key, value] : values->items())
            if (!value.is_object() && !(value.is_array() && value.empty()))
                card.settings.emplace_back(std::string(section) + "." + key, valueText(value));
    }
}

void readDataset(const nlohmann::json &settings, CheckpointSource &source)
{
    const nlohmann::json *values = sectionValues(settings, "dataset");
    if (!values)
        return;
    const std::string train = values->value("train_path", std::string());
    const std::string shape = values->value("shape", std::string());
    const std::string chat = values->value("chat_template", std::string());
    source.systemPrompt = values->value("system_prompt", std::string());
    if (!train.empty())
        source.card.data = "`" + std::filesystem::path(train).filename().string() + "`"
            + (shape.empty() || shape == "auto" ? "" : " (" + shape + ")");
    source.conversational = shape == "messages" || shape == "sharegpt" || (!chat.empty() && chat != "auto"
                                                                           && chat != "raw" && chat != "alpaca");
}

void readMetrics(const nlohmann::json &state, CheckpointSource &source)
{
    for (const auto &[key, value] : state.items())
        if (value.is_number() && key != "step")
            source.card.metrics.emplace_back(key, valueText(value));
    if (source.step >= 0)
        source.card.metrics.emplace(source.card.metrics.begin(), "step", std::to_string(source.step));
}

} // namespace

Result<CheckpointSource> readCheckpointSource(const std::string &folder)
{
    return guard([&] {
        CheckpointSource source;
        source.folder = folder;
        const std::filesystem::path path = std::filesystem::path(folder) / "trainer_state.json";
        if (!std::filesystem::exists(path))
            return source;
        const nlohmann::json state = parseJsonObject(readFile(path.string()), path.string());
        if (state.contains("step") && !state["step"].is_number_integer())
            throw Error(path.string() + ": step: expected a whole number, found " + jsonTypeName(state["step"]));
        source.step = state.value("step", std::int64_t(-1));
        if (state.contains("settings") && state["settings"].is_object()) {
            const nlohmann::json &settings = state["settings"];
            if (const nlohmann::json *model = sectionValues(settings, "model"))
                source.modelPath = model->value("path", std::string());
            addSettingRows(settings, source.card);
            readDataset(settings, source);
        }
        readMetrics(state, source);
        return source;
    });
}

Result<std::string> projectRunCheckpoint(const std::string &projectFile, std::int64_t runId)
{
    auto store = ProjectStore::open(projectFile, OpenMode::ReadOnly);
    if (!store)
        return store.status();
    auto checkpoints = store->checkpoints(runId);
    if (!checkpoints)
        return checkpoints.status();
    if (checkpoints->empty())
        return Status::failure("run " + std::to_string(runId) + " of '" + projectFile
                               + "' has no checkpoint (hint: checkpoints are written every N steps while training)");
    auto evals = store->evalResults(runId);
    if (!evals)
        return evals.status();
    std::optional<EvalResult> best;
    for (const EvalResult &eval : evals.value()) {
        const bool hasCheckpoint = std::any_of(checkpoints->begin(), checkpoints->end(),
                                               [&](const CheckpointInfo &c) { return c.step == eval.step; });
        if (eval.name == "eval" && hasCheckpoint && (!best || eval.loss < best->loss))
            best = eval;
    }
    for (const CheckpointInfo &checkpoint : checkpoints.value())
        if (best && checkpoint.step == best->step)
            return checkpoint.path;
    return checkpoints->back().path;
}

} // namespace engine

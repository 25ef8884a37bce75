#include "engine/train/checkpoint.h"

#include "engine/core/atomicfile.h"
#include "engine/core/status.h"
#include "engine/core/torchcompat.h"
#include "engine/io/safetensorstorch.h"
#include "engine/lora/peftadapter.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace engine {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int kCheckpointFormat = 1;
constexpr const char *kRngKey = "rng.cpu";

std::string hex(std::uint64_t value)
{
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
    return text;
}

std::uint64_t fnv1aFile(const std::string &path)
{
    const std::string bytes = readFile(path);
    std::uint64_t hash = 1469598103934665603ull;
    for (const unsigned char c : bytes) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash;
}

json number(double value)
{
    return std::isfinite(value) ? json(value) : json(nullptr);
}

double numberOr(const json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_number() ? it->get<double>() : kNotMeasured;
}

// AdamW moments under "<parameter>.exp_avg" / ".exp_avg_sq", the step count in trainer_state.json.
std::vector<std::pair<std::string, torch::Tensor>> optimizerTensors(
    const LoraModel &lora, LoraPlusOptimizer &optimizer, std::int64_t &adamStep)
{
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    auto &states = optimizer.adamw().state();
    for (const auto &[name, parameter] : lora.namedParameters()) {
        const auto it = states.find(torchcompat::optimizerStateKey(parameter));
        if (it == states.end())
            continue;
        const auto &state = static_cast<const torch::optim::AdamWParamState &>(*it->second);
        adamStep = state.step();
        tensors.emplace_back(name + ".exp_avg", state.exp_avg().detach().to(torch::kCPU));
        tensors.emplace_back(name + ".exp_avg_sq", state.exp_avg_sq().detach().to(torch::kCPU));
    }
    tensors.emplace_back(kRngKey, at::detail::getDefaultCPUGenerator().get_state());
    return tensors;
}

json stateJson(const CheckpointState &state, std::int64_t adamStep)
{
    json out = {
        { "format", kCheckpointFormat },
        { "step", state.step },
        { "total_steps", state.totalSteps },
        { "adam_step", adamStep },
        { "cursor", { { "epoch", state.cursor.epoch }, { "position", state.cursor.position },
                        { "fingerprint", hex(state.cursor.fingerprint) } } },
        { "loss", number(state.loss) },
        { "eval_loss", number(state.evalLoss) },
        { "best_eval_loss", number(state.bestEvalLoss) },
        { "best_checkpoint", state.bestCheckpoint },
        { "resume_hash", hex(state.resumeHash) },
        { "base_model", state.baseModel },
        { "base_model_type", state.baseModelType },
        { "settings", json::parse(state.settingsDocument) },
    };
    if (!state.lambdaController.empty())
        out["lambda_controller"] = json::parse(state.lambdaController);
    return out;
}

std::uint64_t parseHex(const json &value, const std::string &where)
{
    if (!value.is_string())
        throw Error(where + ": expected a hexadecimal string (hint: the checkpoint is damaged)");
    return std::stoull(value.get<std::string>(), nullptr, 16);
}

void restoreOptimizer(const std::string &path, const LoraModel &lora, LoraPlusOptimizer &optimizer,
    std::int64_t adamStep)
{
    std::map<std::string, torch::Tensor> tensors = loadSafetensors(path);
    auto &states = optimizer.adamw().state();
    for (const auto &[name, parameter] : lora.namedParameters()) {
        const auto avg = tensors.find(name + ".exp_avg"), avgSq = tensors.find(name + ".exp_avg_sq");
        if (avg == tensors.end() || avgSq == tensors.end()) {
            if (adamStep == 0)
                continue; // written before the first step
            throw Error("checkpoint file '" + path + "': no optimizer state for '" + name
                + "' (hint: the checkpoint belongs to another adapter layout)");
        }
        auto state = std::make_unique<torch::optim::AdamWParamState>();
        state->step(adamStep);
        state->exp_avg(avg->second.to(parameter.device(), torch::kFloat).clone());
        state->exp_avg_sq(avgSq->second.to(parameter.device(), torch::kFloat).clone());
        states[torchcompat::optimizerStateKey(parameter)] = std::move(state);
    }
    const auto rng = tensors.find(kRngKey);
    if (rng == tensors.end())
        throw Error("checkpoint file '" + path + "': the random generator state is missing (hint: the checkpoint is "
                    "damaged; start a new run)");
    at::Generator generator = at::detail::getDefaultCPUGenerator(); // shares the default generator's state
    generator.set_state(rng->second.clone());
}

void restoreAdapter(const std::string &path, LoraModel &lora)
{
    std::vector<std::pair<std::string, torch::Tensor>> named;
    for (auto &[key, tensor] : loadSafetensors(path)) {
        const std::string name = loraParameterName(key);
        if (!name.empty())
            named.emplace_back(name, tensor.to(torch::kFloat));
    }
    lora.loadTensors(named);
}

} // namespace

std::string checkpointFolder(const std::string &parent, std::int64_t step)
{
    return (fs::path(parent) / ("checkpoint-" + std::to_string(step))).string();
}

CheckpointRecord writeCheckpoint(const std::string &parent, const LoraModel &lora, LoraPlusOptimizer &optimizer,
    const CheckpointState &state)
{
    const fs::path final = checkpointFolder(parent, state.step);
    const fs::path partial = fs::path(parent) / (".checkpoint-" + std::to_string(state.step) + ".partial");
    std::error_code error;
    fs::remove_all(partial, error);
    fs::create_directories(partial, error);
    if (error)
        throw Error("cannot create checkpoint folder '" + partial.string() + "': " + error.message()
            + " (hint: check free space and permissions of the run folder)");

    savePeftAdapter(partial.string(), lora, PeftAdapterInfo{ state.baseModel, state.baseModelType });
    std::int64_t adamStep = 0;
    saveSafetensors((partial / "optimizer.safetensors").string(), optimizerTensors(lora, optimizer, adamStep));
    writeFileAtomically((partial / "trainer_state.json").string(), stateJson(state, adamStep).dump(2) + "\n");

    fs::remove_all(final, error);
    fs::rename(partial, final, error);
    if (error)
        throw Error("cannot move checkpoint '" + partial.string() + "' to '" + final.string() + "': "
            + error.message() + " (hint: check permissions of the run folder)");

    CheckpointRecord record;
    record.step = state.step;
    record.path = final.string();
    for (const auto &entry : fs::directory_iterator(final))
        record.sizeBytes += static_cast<std::int64_t>(entry.file_size());
    record.hash = "fnv1a64:" + hex(fnv1aFile((final / "adapter_model.safetensors").string()));
    record.evalLoss = state.evalLoss;
    return record;
}

CheckpointState readCheckpoint(const std::string &folder, LoraModel &lora, LoraPlusOptimizer &optimizer,
    std::uint64_t expectedResumeHash)
{
    const fs::path root(folder);
    const std::string statePath = (root / "trainer_state.json").string();
    if (!fs::exists(statePath))
        throw Error("'" + folder + "' is not a Lorafit checkpoint: trainer_state.json is missing (hint: pick a "
                    "checkpoint-<step> folder of a run)");
    const json state = json::parse(readFile(statePath), nullptr, false);
    if (!state.is_object() || state.value("format", 0) != kCheckpointFormat)
        throw Error("checkpoint file '" + statePath + "' is damaged or from a newer Lorafit (hint: start a new run)");
    CheckpointState result;
    result.resumeHash = parseHex(state.at("resume_hash"), statePath + ": resume_hash");
    if (result.resumeHash != expectedResumeHash)
        throw Error("checkpoint '" + folder + "' was written with other adapter, optimizer or data settings than this "
                    "run's (hint: resume with the settings stored in its trainer_state.json, or start a new run)");
    result.step = state.at("step").get<std::int64_t>();
    result.totalSteps = state.value("total_steps", std::int64_t{ 0 });
    const json &cursor = state.at("cursor");
    result.cursor = { cursor.at("epoch").get<std::int64_t>(), cursor.at("position").get<std::int64_t>(),
        parseHex(cursor.at("fingerprint"), statePath + ": cursor.fingerprint") };
    result.loss = numberOr(state, "loss");
    result.evalLoss = numberOr(state, "eval_loss");
    result.bestEvalLoss = numberOr(state, "best_eval_loss");
    result.bestCheckpoint = state.value("best_checkpoint", std::string());
    result.baseModel = state.value("base_model", std::string());
    result.baseModelType = state.value("base_model_type", std::string());
    result.settingsDocument = state.at("settings").dump();
    if (const auto controller = state.find("lambda_controller"); controller != state.end())
        result.lambdaController = controller->dump();

    restoreAdapter((root / "adapter_model.safetensors").string(), lora);
    restoreOptimizer((root / "optimizer.safetensors").string(), lora, optimizer, state.value("adam_step", 0));
    return result;
}

} // namespace engine

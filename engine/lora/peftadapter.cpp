#include "engine/lora/peftadapter.h"

#include "engine/core/atomicfile.h"
#include "engine/core/status.h"
#include "engine/io/safetensorstorch.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace engine {

namespace {

torch::Dtype torchDtype(TensorDtype dtype)
{
    switch (dtype) {
    case TensorDtype::F32: return torch::kFloat32;
    case TensorDtype::F16: return torch::kFloat16;
    case TensorDtype::BF16: return torch::kBFloat16;
    case TensorDtype::Q8_0: break;
    }
    throw Error(std::string("PEFT adapters cannot be stored as ") + tensorDtypeName(dtype)
                + " (hint: use f32, f16 or bf16; q8_0 is for GGUF)");
}

bool endsWith(const std::string &text, const std::string &suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void replaceAll(std::string &text, const std::string &from, const std::string &to)
{
    for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
}

} // namespace

std::string loraParameterName(const std::string &peftKey)
{
    std::string name = peftKey;
    if (name.rfind(kPeftKeyPrefix, 0) == 0)
        name.erase(0, std::string(kPeftKeyPrefix).size());
    // PEFT keeps the adapter name in memory ("lora_A.default.weight"); files normally drop it.
    replaceAll(name, ".lora_A.default.", ".lora_A.");
    replaceAll(name, ".lora_B.default.", ".lora_B.");
    for (const char *suffix : {".lora_magnitude_vector.default.weight", ".lora_magnitude_vector.weight",
                               ".lora_magnitude_vector.default"})
        if (endsWith(name, suffix))
            name = name.substr(0, name.size() - std::string(suffix).size()) + ".lora_magnitude_vector";
    if (endsWith(name, ".lora_A.weight") || endsWith(name, ".lora_B.weight") || endsWith(name, ".lora_magnitude_vector"))
        return name;
    return {};
}

std::vector<std::pair<std::string, torch::Tensor>> peftTensors(const LoraModel &lora, TensorDtype dtype)
{
    const torch::Dtype type = torchDtype(dtype);
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto &[name, tensor] : lora.namedParameters())
        tensors.emplace_back(kPeftKeyPrefix + name, tensor.detach().to(torch::kCPU, type).contiguous());
    return tensors;
}

LoraConfig resolvedPeftConfig(const LoraModel &lora)
{
    LoraConfig config = lora.config();
    if (config.targetMode == TargetMode::Regex)
        return config;
    if (config.targetMode == TargetMode::AllLinear || config.targetModules.empty()) {
        std::vector<std::string> kinds;
        for (const AdaptedMatrix &m : lora.matrices())
            if (std::find(kinds.begin(), kinds.end(), m.kind) == kinds.end())
                kinds.push_back(m.kind);
        config.targetMode = TargetMode::Suffixes;
        config.targetModules = kinds;
    }
    return config;
}

void savePeftAdapter(const std::string &folder, const LoraModel &lora, const PeftAdapterInfo &info, TensorDtype dtype)
{
    const auto tensors = peftTensors(lora, dtype); // before touching the disk: a bad dtype writes nothing
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec)
        throw Error("cannot create adapter folder '" + folder + "': " + ec.message()
                    + " (hint: check the path and its permissions)");
    const std::filesystem::path dir(folder);
    saveSafetensors((dir / kPeftWeightsName).string(), tensors);
    writeFileAtomically((dir / kPeftConfigName).string(), peftAdapterConfigJson(resolvedPeftConfig(lora), info));
}

LoraModel loadPeftAdapter(const std::string &folder, const CausalLm &model)
{
    Result<LoraConfig> config = readPeftAdapterConfig(folder);
    if (!config)
        throw Error(config.message());
    LoraModel lora = [&] {
        try {
            return LoraModel::inject(model, config.value(), 0);
        } catch (const Error &e) {
            throw Error((std::filesystem::path(folder) / kPeftConfigName).string() + ": " + e.what());
        }
    }();
    try {
        const auto tensors = readPeftAdapterTensors(folder, lora);
        try {
            lora.loadTensors(tensors);
        } catch (const Error &e) {
            throw Error((std::filesystem::path(folder) / kPeftWeightsName).string() + ": " + e.what());
        }
    } catch (const Error &) {
        lora.detach();
        throw;
    }
    lora.setTraining(false);
    return lora;
}

std::vector<std::pair<std::string, torch::Tensor>> readPeftAdapterTensors(const std::string &folder,
                                                                          const LoraModel &lora)
{
    const std::string weightsPath = (std::filesystem::path(folder) / kPeftWeightsName).string();
    if (!std::filesystem::exists(weightsPath))
        throw Error("'" + folder + "' has no " + kPeftWeightsName
                    + " (hint: adapter_model.bin is a pickle file Lorafit does not read; re-save the adapter with "
                      "PEFT's save_pretrained(safe_serialization=True))");
    const auto file = SafetensorsFile::open(weightsPath);
    std::set<std::string> expected;
    for (const auto &[name, tensor] : lora.namedParameters())
        expected.insert(name);
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const TensorInfo &info : file->tensors()) {
        const std::string name = loraParameterName(info.name);
        if (name.empty() || !expected.count(name))
            throw Error(weightsPath + ": tensor '" + info.name + "' " + (name.empty() ? "is not a LoRA tensor" :
                        "belongs to no adapted module")
                        + " (hint: the adapter_config.json targets do not match the weights, or the adapter was made"
                          " for another model)");
        tensors.emplace_back(name, floatTensorFromFile(file, info));
    }
    return tensors; // LoraModel::loadTensors names a missing or misshapen one
}

} // namespace engine

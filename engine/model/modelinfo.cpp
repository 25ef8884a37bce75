#include "engine/model/modelinfo.h"

#include "engine/core/atomicfile.h"
#include "engine/io/safetensorsfolder.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace engine {

namespace {

namespace fs = std::filesystem;

bool isBufferName(const std::string &name)
{
    auto endsWith = [&](const std::string &suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return endsWith(".attn.bias") || endsWith(".attn.masked_bias") || endsWith(".rotary_emb.inv_freq");
}

void readWeights(const std::string &folder, ModelInfo &info)
{
    const SafetensorsFolder weights = SafetensorsFolder::open(folder);
    for (const auto &file : weights.files())
        info.weightFiles.push_back(fs::path(file->path()).filename().string());
    std::vector<std::string> dtypes;
    for (const std::string &name : weights.tensorNames()) {
        if (isBufferName(name))
            continue;
        const TensorInfo &tensor = *weights.find(name).info;
        info.parameterCount += tensor.elementCount();
        info.weightBytes += tensor.byteSize();
        if (std::find(dtypes.begin(), dtypes.end(), tensor.dtype) == dtypes.end())
            dtypes.push_back(tensor.dtype);
    }
    for (const std::string &dtype : dtypes)
        info.storedDtype += (info.storedDtype.empty() ? "" : ", ") + dtype;
}

void readTokenizerFiles(const fs::path &folder, ModelInfo &info)
{
    std::error_code ignored;
    info.hasTokenizerJson = fs::exists(folder / "tokenizer.json", ignored);
    info.hasTokenizerConfig = fs::exists(folder / "tokenizer_config.json", ignored);
    if (fs::exists(folder / "chat_template.jinja", ignored)) {
        info.hasChatTemplate = true;
        info.chatTemplateSource = "chat_template.jinja";
        return;
    }
    if (!info.hasTokenizerConfig)
        return;
    const auto config = nlohmann::json::parse(readFile((folder / "tokenizer_config.json").string()), nullptr, false);
    if (config.is_object() && config.contains("chat_template") && !config.at("chat_template").is_null()) {
        info.hasChatTemplate = true;
        info.chatTemplateSource = "tokenizer_config.json";
    }
}

ModelInfo inspect(const std::string &folder)
{
    Result<ModelConfig> config = readModelConfig(folder);
    if (!config)
        throw Error(config.message());
    ModelInfo info;
    info.folder = folder;
    info.config = config.value();
    const ModelConfig &c = info.config;
    info.architecture = c.architecture;
    info.modelType = c.modelType;
    info.layers = c.numLayers;
    info.hiddenSize = c.hiddenSize;
    info.heads = c.numHeads;
    info.kvHeads = c.numKvHeads;
    info.headDim = c.headDim;
    info.intermediateSize = c.intermediateSize;
    info.vocabSize = c.vocabSize;
    info.maxPositions = c.maxPositions;
    info.tiedEmbeddings = c.tieWordEmbeddings;
    info.linears = linearSpecs(c);
    for (const LinearSpec &spec : info.linears) {
        const std::string shortName = linearShortName(spec.name);
        if (std::find(info.linearNames.begin(), info.linearNames.end(), shortName) == info.linearNames.end())
            info.linearNames.push_back(shortName);
    }
    readWeights(folder, info);
    readTokenizerFiles(fs::path(folder), info);
    return info;
}

} // namespace

Result<ModelInfo> inspectModel(const std::string &folder)
{
    return guard([&] { return inspect(folder); });
}

MemoryEstimate estimateTrainingMemory(const ModelInfo &info, std::int64_t batch, std::int64_t seqLength,
    std::int64_t rank, const std::string &computeDtype, bool gradientCheckpointing, bool nf4Base)
{
    const std::uint64_t elementBytes = (computeDtype == "bf16" || computeDtype == "f16") ? 2 : 4;
    MemoryEstimate estimate;
    estimate.baseWeightBytes = static_cast<std::uint64_t>(info.parameterCount) * 4;
    std::int64_t loraActivationsPerToken = 0;
    for (const LinearSpec &spec : info.linears) {
        if (spec.layer < 0)
            continue;
        if (nf4Base) { // 4 bits + an 8-bit absmax code per 64 + an f32 scale per 64 × 256
            const double weights = static_cast<double>(spec.inFeatures * spec.outFeatures);
            estimate.baseWeightBytes -= static_cast<std::uint64_t>(weights * 4.0);
            estimate.baseWeightBytes += static_cast<std::uint64_t>(weights * (0.5 + 1.0 / 64 + 4.0 / (64 * 256)));
        }
        estimate.loraParameters += rank * (spec.inFeatures + spec.outFeatures);
        loraActivationsPerToken += rank; // the (x A) intermediate kept for backward
    }
    estimate.loraStateBytes = static_cast<std::uint64_t>(estimate.loraParameters) * 4 * 4; // weight, grad, m, v
    // Per token and layer: norms, q/k/v, rotated q/k, attention output,
    // residuals and the MLP's gate/up/activation/product, plus the attention
    // scores and probabilities (heads x sequence length).
    const std::int64_t H = info.hiddenSize, I = info.intermediateSize;
    const std::int64_t kv = info.kvHeads * info.headDim;
    const std::int64_t perTokenLayer = 8 * H + 3 * kv + 4 * I + 2 * info.heads * seqLength;
    const std::int64_t tokens = batch * seqLength;
    const std::uint64_t keptPerToken = gradientCheckpointing
        ? static_cast<std::uint64_t>(info.layers * H + perTokenLayer)
        : static_cast<std::uint64_t>(info.layers * perTokenLayer);
    const std::uint64_t layerBytes = static_cast<std::uint64_t>(tokens) * keptPerToken * elementBytes;
    // Logits, their softmax and gradient stay f32.
    const std::uint64_t logitBytes
        = static_cast<std::uint64_t>(tokens) * static_cast<std::uint64_t>(info.vocabSize) * 3 * 4;
    if (gradientCheckpointing && info.layers > 0) // only the recomputed layer's adapters hold activations
        loraActivationsPerToken /= info.layers;
    const std::uint64_t loraBytes = static_cast<std::uint64_t>(tokens * loraActivationsPerToken) * elementBytes;
    estimate.activationBytes = layerBytes + logitBytes + loraBytes;
    estimate.totalBytes = estimate.baseWeightBytes + estimate.loraStateBytes + estimate.activationBytes;
    return estimate;
}

} // namespace engine

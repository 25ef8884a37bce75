#include "engine/export/mergedexporter.h"

#include "engine/core/atomicfile.h"
#include "engine/core/jsonreader.h"
#include "engine/data/chattemplatedetector.h"
#include "engine/io/safetensorsfolder.h"
#include "engine/io/safetensorstorch.h"
#include "engine/model/causallmnet.h"

#include <cstdio>
#include <filesystem>
#include <map>

namespace engine {

namespace fs = std::filesystem;

namespace {

struct ShardPlan
{
    std::vector<std::vector<std::string>> shards; // tensor names per shard, in order
    std::uint64_t totalBytes = 0;
};

bool isFloatDtype(const std::string &dtype)
{
    return dtype == "F32" || dtype == "F16" || dtype == "BF16" || dtype == "F64";
}

torch::Dtype torchDtype(TensorDtype dtype)
{
    switch (dtype) {
    case TensorDtype::F16: return torch::kFloat16;
    case TensorDtype::BF16: return torch::kBFloat16;
    default: return torch::kFloat32;
    }
}

const char *configDtypeName(TensorDtype dtype)
{
    switch (dtype) {
    case TensorDtype::F16: return "float16";
    case TensorDtype::BF16: return "bfloat16";
    default: return "float32";
    }
}

// Bytes of one tensor as written: float tensors in `dtype`, others as stored.
std::uint64_t outputBytes(const TensorInfo &info, TensorDtype dtype)
{
    if (!isFloatDtype(info.dtype))
        return info.byteSize();
    std::uint64_t elements = 1;
    for (auto dim : info.shape)
        elements *= static_cast<std::uint64_t>(dim);
    return elements * (dtype == TensorDtype::F32 ? 4 : 2);
}

// Hugging Face's rule: fill shards in order; a tensor larger than the limit gets a shard of its own.
ShardPlan planShards(const SafetensorsFolder &weights, TensorDtype dtype, std::uint64_t maxShardBytes)
{
    ShardPlan plan;
    std::uint64_t current = 0;
    for (const std::string &name : weights.tensorNames()) {
        const std::uint64_t bytes = outputBytes(*weights.find(name).info, dtype);
        if (plan.shards.empty() || (current + bytes > maxShardBytes && current > 0)) {
            plan.shards.emplace_back();
            current = 0;
        }
        plan.shards.back().push_back(name);
        current += bytes;
        plan.totalBytes += bytes;
    }
    return plan;
}

bool isWeightFile(const fs::path &path)
{
    const std::string name = path.filename().string();
    for (const char *ext : {".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack", ".ckpt", ".onnx"})
        if (path.extension() == ext)
            return true;
    return name.find(".index.json") != std::string::npos;
}

// Files of the base folder the merged folder needs: everything but weights, README.md and hidden files.
std::vector<fs::path> sideFiles(const std::string &baseFolder)
{
    std::vector<fs::path> files;
    for (const auto &entry : fs::directory_iterator(baseFolder)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && !isWeightFile(entry.path()) && name != "README.md" && name[0] != '.')
            files.push_back(entry.path());
    }
    return files;
}

std::string rewrittenConfig(const fs::path &path, TensorDtype dtype)
{
    nlohmann::json config = parseJsonObject(readFile(path.string()), path.string());
    config["torch_dtype"] = configDtypeName(dtype);
    if (config.contains("dtype"))
        config["dtype"] = configDtypeName(dtype);
    return config.dump(2) + "\n";
}

std::string tokenizerConfigWithTemplate(const fs::path &path, const std::string &chatTemplate)
{
    nlohmann::json config = parseJsonObject(readFile(path.string()), path.string());
    config["chat_template"] = chatTemplate;
    return config.dump(2) + "\n";
}

bool hasEos(const ExportContext &context)
{
    if (!context.model.config().eosTokenIds.empty())
        return true;
    for (const char *file : {"generation_config.json", "tokenizer_config.json"}) {
        const fs::path path = fs::path(context.baseFolder) / file;
        if (!fs::exists(path))
            continue;
        const nlohmann::json json = parseJsonObject(readFile(path.string()), path.string());
        if ((json.contains("eos_token_id") && !json["eos_token_id"].is_null())
            || (json.contains("eos_token") && !json["eos_token"].is_null()))
            return true;
    }
    return false;
}

bool hasChatTemplate(const std::string &baseFolder)
{
    const auto detection = data::detectModelChatTemplate(baseFolder);
    return detection.isOk() && !detection->source.empty();
}

// The merged value of every parameter of the model, by the name its tensor has
// in the base's files (the Hugging Face name, or e.g. a multimodal gemma3
// folder's language_model.model.* and a hub GPT-2's unprefixed h.N.*).
std::map<std::string, torch::Tensor> modelTensors(const CausalLm &model, const SafetensorsFolder &weights)
{
    std::map<std::string, torch::Tensor> byName;
    for (const auto &item : model.module().named_parameters(true)) {
        std::string stored = item.key();
        for (const std::string &fileName : model.net()->fileNamesFor(item.key()))
            if (weights.find(fileName).file) {
                stored = fileName;
                break;
            }
        byName[stored] = item.value();
    }
    return byName;
}

void removeStaleWeights(const std::string &folder)
{
    for (const auto &entry : fs::directory_iterator(folder))
        if (entry.is_regular_file() && isWeightFile(entry.path()))
            fs::remove(entry.path());
}

// Unmerges when the export leaves, however it leaves.
struct MergeGuard
{
    explicit MergeGuard(LoraModel &lora) : lora(lora) { lora.merge(); }
    ~MergeGuard() { lora.unmerge(); }
    LoraModel &lora;
};

} // namespace

ExportFormatInfo MergedExporter::info() const
{
    return {"merged", "Merged model folder",
            "the base model with the adapter folded into its weights; loads anywhere the base model loads",
            {TensorDtype::F32, TensorDtype::F16, TensorDtype::BF16}};
}

TensorDtype MergedExporter::defaultDtype(const ExportContext &context) const
{
    return tensorDtypeOfStored(context.model.config().storedDtype);
}

std::vector<std::string> MergedExporter::preflight(const ExportContext &context) const
{
    std::vector<std::string> problems;
    for (const AdaptedMatrix &m : context.lora.matrices())
        if (m.lora->base()->isTied())
            problems.push_back("merged model: '" + m.name + "' shares its weight with the token embedding, so the "
                               "adapter cannot be merged into it (hint: export the PEFT adapter instead)");
    const fs::path base(context.baseFolder);
    if (!fs::exists(base / "tokenizer.json") && !fs::exists(base / "tokenizer.model") && !fs::exists(base / "vocab.json"))
        problems.push_back("merged model: the base folder '" + context.baseFolder + "' has no tokenizer "
                           "(tokenizer.json, tokenizer.model or vocab.json) to copy (hint: add the base model's "
                           "tokenizer files to its folder)");
    if (!hasEos(context))
        problems.push_back("merged model: the base model defines no eos token (config.json, generation_config.json "
                           "and tokenizer_config.json lack eos_token_id/eos_token), so generation would not stop "
                           "(hint: add eos_token_id to the base's config.json)");
    if (context.request.conversational && context.request.chatTemplate.empty() && !hasChatTemplate(context.baseFolder))
        problems.push_back("merged model: the adapter was trained on conversations but the base model has no chat "
                           "template, so other apps would not format prompts as in training (hint: pass the "
                           "template with --chat-template FILE.jinja)");
    return problems;
}

std::uint64_t MergedExporter::estimatedBytes(const ExportContext &context) const
{
    const SafetensorsFolder weights = SafetensorsFolder::open(context.baseFolder);
    std::uint64_t bytes = planShards(weights, context.dtype, context.request.maxShardBytes).totalBytes;
    for (const fs::path &file : sideFiles(context.baseFolder))
        bytes += fs::file_size(file);
    return bytes + 1024 * 1024; // headers and the index
}

std::vector<std::string> MergedExporter::write(const ExportContext &context, const std::string &folder) const
{
    std::vector<std::string> written;
    const fs::path out(folder);
    if (context.request.overwrite)
        removeStaleWeights(folder);
    for (const fs::path &file : sideFiles(context.baseFolder)) {
        const fs::path target = out / file.filename();
        const std::string name = file.filename().string();
        if (name == "config.json")
            writeFileAtomically(target.string(), rewrittenConfig(file, context.dtype));
        else if (name == "tokenizer_config.json" && !context.request.chatTemplate.empty()
                 && !hasChatTemplate(context.baseFolder))
            writeFileAtomically(target.string(), tokenizerConfigWithTemplate(file, context.request.chatTemplate));
        else
            writeFileAtomically(target.string(), readFile(file.string()));
        written.push_back(target.string());
    }

    const SafetensorsFolder weights = SafetensorsFolder::open(context.baseFolder);
    const ShardPlan plan = planShards(weights, context.dtype, context.request.maxShardBytes);
    context.progress(0.0, "merging the adapter into the weights");
    MergeGuard merged(context.lora);
    const std::map<std::string, torch::Tensor> params = modelTensors(context.model, weights);
    const torch::Dtype outType = torchDtype(context.dtype);
    const std::size_t n = plan.shards.size();
    nlohmann::json weightMap = nlohmann::json::object();
    for (std::size_t i = 0; i < n; ++i) {
        char name[64];
        std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, n);
        const std::string file = n == 1 ? std::string("model.safetensors") : std::string(name);
        context.progress(static_cast<double>(i) / n, "writing " + file);
        std::vector<std::pair<std::string, torch::Tensor>> tensors;
        for (const std::string &tensorName : plan.shards[i]) {
            const SafetensorsFolder::Entry entry = weights.find(tensorName);
            const auto param = params.find(tensorName);
            torch::Tensor value = param != params.end() ? param->second.detach() : tensorFromFile(entry.file, *entry.info);
            if (isFloatDtype(entry.info->dtype))
                value = value.to(torch::kCPU, outType);
            tensors.emplace_back(tensorName, value);
            weightMap[tensorName] = file;
        }
        saveSafetensors((out / file).string(), tensors);
        written.push_back((out / file).string());
    }
    if (n > 1) {
        const nlohmann::json index = {{"metadata", {{"total_size", plan.totalBytes}}}, {"weight_map", weightMap}};
        writeFileAtomically((out / "model.safetensors.index.json").string(), index.dump(2) + "\n");
        written.push_back((out / "model.safetensors.index.json").string());
    }
    context.progress(1.0, "merged model written");
    return written;
}

} // namespace engine

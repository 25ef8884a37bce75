#include "engine/export/adapterverifier.h"

#include "engine/export/ggufexporter.h"
#include "engine/export/ggufmodelexporter.h"
#include "engine/export/ggufreader.h"
#include "engine/lora/peftadapter.h"
#include "engine/model/causallm.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

namespace engine {

namespace {

torch::Tensor rowsTensor(const std::vector<TokenId> &values, const data::Batch &batch)
{
    std::vector<std::int64_t> wide(values.begin(), values.end());
    return torch::tensor(wide, torch::kInt64).reshape({batch.rows, batch.columns}); // (B, T)
}

void checkBatch(const data::Batch &batch, std::size_t index)
{
    const std::size_t cells = static_cast<std::size_t>(batch.rows) * static_cast<std::size_t>(batch.columns);
    if (batch.inputIds.size() != cells || batch.labels.size() != cells)
        throw Error("verification batch " + std::to_string(index) + ": inputIds and labels must hold rows × columns = "
                    + std::to_string(cells) + " values (hint: build the batch with the DataLoader)");
    if (batch.positionIds.size() != cells || batch.attentionMask.size() != cells)
        return;
    for (int r = 0; r < batch.rows; ++r)
        for (int t = 1; t < batch.columns; ++t) {
            const std::size_t i = static_cast<std::size_t>(r) * batch.columns + t;
            if (batch.attentionMask[i] && batch.positionIds[i] == 0)
                throw Error("verification batch " + std::to_string(index) + " row " + std::to_string(r)
                            + " packs several examples (hint: verify on unpacked validation batches)");
        }
}

// Causal LM loss: logits at t predict labels at t+1; -100 is ignored.
LossReport lossOf(const CausalLm &model, const std::vector<data::Batch> &batches)
{
    torch::NoGradGuard noGrad;
    LossReport report;
    double total = 0.0;
    for (std::size_t i = 0; i < batches.size(); ++i) {
        const data::Batch &batch = batches[i];
        checkBatch(batch, i);
        const torch::Tensor ids = rowsTensor(batch.inputIds, batch);  // (B, T)
        const torch::Tensor labels = rowsTensor(batch.labels, batch); // (B, T)
        const torch::Tensor logits = model.forward(ids);              // (B, T, V)
        const std::int64_t vocab = logits.size(2);
        const torch::Tensor predicted = logits.slice(1, 0, -1).reshape({-1, vocab}); // (B·(T−1), V)
        const torch::Tensor target = labels.slice(1, 1).reshape({-1});               // (B·(T−1))
        const torch::Tensor sum = torch::nn::functional::cross_entropy(
            predicted.to(torch::kFloat64), target,
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(data::kIgnoreIndex).reduction(torch::kSum));
        const std::int64_t counted = (target != data::kIgnoreIndex).sum().item<std::int64_t>();
        const double batchSum = sum.item<double>();
        total += batchSum;
        report.tokens += counted;
        report.batchLosses.push_back(counted ? batchSum / counted : std::numeric_limits<double>::quiet_NaN());
    }
    if (report.tokens == 0)
        throw Error("verification batches have no labelled tokens (hint: pass validation batches with labels)");
    report.meanLoss = total / report.tokens;
    return report;
}

torch::Tensor ggufMatrix(const GgufTensorInfo &tensor)
{
    const std::vector<float> values = ggufTensorValues(tensor);
    return torch::tensor(values).reshape(tensor.shape); // PyTorch order
}

// Inverse of the exporter's q/k row permutation for the llama architecture.
torch::Tensor unpermuteRows(const torch::Tensor &b, std::int64_t heads)
{
    const std::int64_t out = b.size(0), r = b.size(1);
    return b.reshape({heads, out / heads / 2, 2, r}).transpose(1, 2).reshape({out, r}); // (O, R)
}

// Adds alpha/rank · B·A from the GGUF file to each named base weight, as llama.cpp's build_lora_mm does.
void applyGgufAdapter(const CausalLm &model, const GgufFile &file, const std::string &path)
{
    const ModelConfig &config = model.config();
    const auto arch = file.metadata.find("general.architecture");
    if (arch == file.metadata.end() || arch->second.text != GgufExporter::architecture(config.modelType))
        throw Error(path + ": general.architecture does not match the base model's ("
                    + GgufExporter::architecture(config.modelType) + ")");
    const auto alphaKey = file.metadata.find("adapter.lora.alpha");
    const double alpha = alphaKey == file.metadata.end() ? 0.0 : alphaKey->second.number;
    std::map<std::string, const GgufTensorInfo *> byName;
    for (const GgufTensorInfo &t : file.tensors)
        byName[t.name] = &t;
    torch::NoGradGuard noGrad;
    std::size_t applied = 0;
    for (const NamedLinear &linear : model.linearModules()) {
        const std::string name = GgufExporter::tensorName(config.modelType, linear.name);
        if (name.empty() || !byName.count(name + ".lora_a"))
            continue;
        const torch::Tensor a = ggufMatrix(*byName.at(name + ".lora_a")); // (R, I)
        torch::Tensor b = ggufMatrix(*byName.at(name + ".lora_b"));       // (O, R)
        const std::string kind = linear.name.substr(linear.name.rfind('.') + 1);
        if (arch->second.text == "llama" && kind == "q_proj")
            b = unpermuteRows(b, config.numHeads);
        else if (arch->second.text == "llama" && kind == "k_proj")
            b = unpermuteRows(b, config.numKvHeads);
        const double scale = alpha != 0.0 ? alpha / static_cast<double>(b.size(1)) : 1.0;
        linear.module->weightOutIn().add_(torch::matmul(b, a) * scale); // (O, I) view of the base weight
        ++applied;
    }
    if (applied * 2 != file.tensors.size())
        throw Error(path + ": " + std::to_string(file.tensors.size() - applied * 2)
                    + " tensors match no projection of the base model (hint: the adapter was made for another model)");
}

// Puts every tensor of a GGUF model (as GgufModelExporter writes it) into the parameters of
// `model`, undoing the GGUF layout: GPT-2's transposed Conv1D weights, llama's q/k row order.
void loadGgufModel(const CausalLm &model, const GgufFile &file, const std::string &path)
{
    const ModelConfig &config = model.config();
    const std::string arch = GgufExporter::architecture(config.modelType);
    const auto declared = file.metadata.find("general.architecture");
    if (declared == file.metadata.end() || declared->second.text != arch)
        throw Error(path + ": general.architecture is not the base model's ('" + arch + "')");
    std::map<std::string, const GgufTensorInfo *> byName;
    for (const GgufTensorInfo &t : file.tensors)
        byName[t.name] = &t;
    torch::NoGradGuard noGrad;
    for (const auto &item : model.module().named_parameters(true)) {
        const std::string &name = item.key();
        if (config.tieWordEmbeddings && name == "lm_head.weight")
            continue;
        const std::string ggufName = GgufModelExporter::tensorName(config.modelType, name);
        const auto found = byName.find(ggufName);
        if (ggufName.empty() || found == byName.end())
            throw Error(path + ": no tensor '" + ggufName + "' for parameter '" + name + "'");
        torch::Tensor value = ggufMatrix(*found->second);
        if (config.isGpt2() && value.dim() == 2 && name.rfind("transformer.h.", 0) == 0)
            value = value.t(); // (I, O) Conv1D layout
        if (arch == "llama" && name.find(".q_proj.") != std::string::npos)
            value = unpermuteRows(value.reshape({value.size(0), -1}), config.numHeads).reshape(value.sizes());
        else if (arch == "llama" && name.find(".k_proj.") != std::string::npos)
            value = unpermuteRows(value.reshape({value.size(0), -1}), config.numKvHeads).reshape(value.sizes());
        if (value.sizes() != item.value().sizes())
            throw Error(path + ": tensor '" + ggufName + "' has the wrong shape for '" + name + "'");
        item.value().copy_(value);
    }
}

} // namespace

Result<LossReport> ggufModelLoss(const std::string &baseFolder, const std::string &ggufFile,
                                 const std::vector<data::Batch> &batches)
{
    return guard([&] {
        CausalLm model = loadCausalLm(baseFolder);
        loadGgufModel(model, readGgufFile(ggufFile), ggufFile);
        return lossOf(model, batches);
    });
}

Result<LossReport> adapterLoss(const std::string &baseFolder, const std::string &adapterFolder,
                               const std::vector<data::Batch> &batches)
{
    return guard([&] {
        CausalLm model = loadCausalLm(baseFolder);
        LoraModel lora = loadPeftAdapter(adapterFolder, model);
        return lossOf(model, batches);
    });
}

Result<LossReport> modelLoss(const std::string &modelFolder, const std::vector<data::Batch> &batches)
{
    return guard([&] { return lossOf(loadCausalLm(modelFolder), batches); });
}

Result<LossReport> ggufAdapterLoss(const std::string &baseFolder, const std::string &ggufFile,
                                   const std::vector<data::Batch> &batches)
{
    return guard([&] {
        CausalLm model = loadCausalLm(baseFolder);
        applyGgufAdapter(model, readGgufFile(ggufFile), ggufFile);
        return lossOf(model, batches);
    });
}

bool lossesAgree(double a, double b, double relative)
{
    return std::fabs(a - b) <= relative * std::max(std::fabs(a), std::fabs(b));
}

std::optional<Result<LossReport>> exportedFileLoss(const std::string &baseFolder, const std::string &writtenFile,
                                                   const std::vector<data::Batch> &batches)
{
    const std::filesystem::path path(writtenFile);
    if (path.filename() == "adapter_model.safetensors")
        return adapterLoss(baseFolder, path.parent_path().string(), batches);
    if (path.filename() == "config.json")
        return modelLoss(path.parent_path().string(), batches);
    if (isGgufModelFile(writtenFile))
        return ggufModelLoss(baseFolder, writtenFile, batches);
    if (path.extension() == ".gguf")
        return ggufAdapterLoss(baseFolder, writtenFile, batches);
    return std::nullopt;
}

bool isGgufModelFile(const std::string &writtenFile)
{
    const std::string name = std::filesystem::path(writtenFile).filename().string();
    const std::string adapterSuffix = "-LoRA.gguf"; // GgufExporter's names
    const bool adapter = name.size() > adapterSuffix.size()
        && name.compare(name.size() - adapterSuffix.size(), adapterSuffix.size(), adapterSuffix) == 0;
    return !adapter && std::filesystem::path(writtenFile).extension() == ".gguf";
}

std::string exportedRoot(const std::string &writtenFile)
{
    const std::filesystem::path path(writtenFile);
    return path.extension() == ".gguf" ? writtenFile : path.parent_path().string();
}

double exportLossTolerance(TensorDtype written)
{
    return written == TensorDtype::F32 ? 1e-4 : 1e-2;
}

} // namespace engine

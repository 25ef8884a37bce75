#include "engine/model/causallm.h"

#include "engine/core/status.h"
#include "engine/io/safetensorsfolder.h"
#include "engine/io/safetensorstorch.h"
#include "engine/model/gpt2.h"
#include "engine/model/llama.h"

#include <set>

namespace engine {

namespace {

std::string shapeText(c10::IntArrayRef shape)
{
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

int layerOf(const std::string &name)
{
    for (const std::string marker : { ".layers.", ".h." }) {
        const std::size_t at = name.find(marker);
        if (at != std::string::npos)
            return std::stoi(name.substr(at + marker.size()));
    }
    return -1;
}

// Fills one parameter from the folder; returns the file tensor name used.
std::string loadParameter(
    const SafetensorsFolder &weights, const CausalLmNetImpl &net, const std::string &name, torch::Tensor &parameter)
{
    for (const std::string &fileName : net.fileNamesFor(name)) {
        const SafetensorsFolder::Entry entry = weights.find(fileName);
        if (!entry.file)
            continue;
        const std::vector<std::int64_t> &found = entry.info->shape;
        if (c10::IntArrayRef(found) != parameter.sizes())
            throw Error("model folder '" + weights.folder() + "': tensor '" + fileName + "' in '" + entry.file->path()
                + "' has shape " + shapeText(found) + " but config.json implies " + shapeText(parameter.sizes())
                + " (hint: config.json and the weights belong to different models)");
        parameter.set_data(floatTensorFromFile(entry.file, *entry.info));
        return fileName;
    }
    std::string hint = "hint: the weights are incomplete or belong to a different architecture";
    if (name == "lm_head.weight")
        hint = "hint: this model has no lm_head; if it shares the embedding, config.json should say "
               "\"tie_word_embeddings\": true";
    throw Error(
        "model folder '" + weights.folder() + "': tensor '" + name + "' is missing from the weights (" + hint + ")");
}

std::vector<std::string> loadWeights(CausalLmNetImpl &net, const SafetensorsFolder &weights)
{
    torch::NoGradGuard noGrad;
    std::set<std::string> used;
    for (auto &item : net.named_parameters(true))
        used.insert(loadParameter(weights, net, item.key(), item.value()));
    std::vector<std::string> unused;
    for (const std::string &name : weights.tensorNames())
        if (!used.count(name) && !net.isIgnoredFileTensor(name))
            unused.push_back(name);
    return unused;
}

} // namespace

CausalLm::CausalLm(std::shared_ptr<CausalLmNetImpl> net, std::string folder, std::vector<std::string> unusedTensors)
    : m_net(std::move(net))
    , m_folder(std::move(folder))
    , m_unused(std::move(unusedTensors))
{ }

void CausalLm::checkInput(const torch::Tensor &ids, const KvCache *cache, std::int64_t startPos) const
{
    if (ids.dim() != 2 || ids.scalar_type() != torch::kInt64)
        throw Error("model input must be a (batch, tokens) int64 tensor (hint: this is a programming error)");
    if (ids.numel() > 0) {
        const std::int64_t low = ids.min().item<std::int64_t>(), high = ids.max().item<std::int64_t>();
        if (low < 0 || high >= config().vocabSize)
            throw Error("token id " + std::to_string(low < 0 ? low : high) + " is outside the vocabulary of "
                + std::to_string(config().vocabSize) + " (hint: the tokenizer does not belong to this model)");
    }
    if (startPos < 0 || (cache && cache->length() != startPos))
        throw Error("the KV cache holds " + std::to_string(cache ? cache->length() : 0)
            + " tokens but the input starts at position " + std::to_string(startPos)
            + " (hint: pass startPos = cache length, or clear the cache)");
}

torch::Tensor CausalLm::forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos) const
{
    checkInput(ids, cache, startPos);
    return m_net->forward(ids, cache, startPos); // (B, T, V)
}

torch::Tensor CausalLm::hiddenStates(const torch::Tensor &ids) const
{
    checkInput(ids, nullptr, 0);
    return m_net->hiddenStates(ids, nullptr, 0); // (B, T, H)
}

std::vector<NamedLinear> CausalLm::linearModules() const
{
    std::vector<NamedLinear> result;
    for (const auto &item : m_net->named_modules("", false))
        if (auto linear = std::dynamic_pointer_cast<LinearImpl>(item.value()))
            result.push_back({ item.key(), layerOf(item.key()), Linear(linear) });
    return result;
}

std::shared_ptr<CausalLmNetImpl> buildCausalLmNet(const ModelConfig &config)
{
    if (Status status = config.validate(); !status)
        throw Error(status.message());
    std::shared_ptr<CausalLmNetImpl> net;
    if (config.isGpt2())
        net = std::make_shared<Gpt2LmHeadModelImpl>(config);
    else
        net = std::make_shared<LlamaForCausalLmImpl>(config);
    for (auto &parameter : net->parameters())
        parameter.set_requires_grad(false);
    net->eval();
    return net;
}

CausalLm loadCausalLm(const std::string &folder, const CausalLmOptions &options)
{
    Result<ModelConfig> config = readModelConfig(folder);
    if (!config)
        throw Error(config.message());
    const SafetensorsFolder weights = SafetensorsFolder::open(folder);
    std::shared_ptr<CausalLmNetImpl> net = buildCausalLmNet(config.value());
    std::vector<std::string> unused = loadWeights(*net, weights);
    if (options.device != torch::kCPU)
        net->to(options.device);
    return CausalLm(std::move(net), folder, std::move(unused));
}

} // namespace engine

#include "engine/bench/benchshape.h"

namespace engine {

namespace {

ModelConfig llamaShape(std::int64_t vocab, std::int64_t hidden, std::int64_t intermediate, std::int64_t layers,
    std::int64_t heads, std::int64_t kvHeads)
{
    ModelConfig config;
    config.modelType = "llama";
    config.architecture = "LlamaForCausalLM";
    config.vocabSize = vocab;
    config.hiddenSize = hidden;
    config.intermediateSize = intermediate;
    config.numLayers = layers;
    config.numHeads = heads;
    config.numKvHeads = kvHeads;
    config.headDim = hidden / heads;
    config.maxPositions = 2048;
    config.normEps = 1e-6;
    config.hiddenAct = "silu";
    config.slidingWindows.assign(static_cast<std::size_t>(layers), 0);
    return config;
}

ModelConfig gpt2Small()
{
    ModelConfig config;
    config.modelType = "gpt2";
    config.architecture = "GPT2LMHeadModel";
    config.vocabSize = 50257;
    config.hiddenSize = 768;
    config.intermediateSize = 3072;
    config.numLayers = 12;
    config.numHeads = 12;
    config.numKvHeads = 12;
    config.headDim = 64;
    config.maxPositions = 1024;
    config.normEps = 1e-5;
    config.hiddenAct = "gelu_new";
    config.tieWordEmbeddings = true;
    config.slidingWindows.assign(12, 0);
    return config;
}

} // namespace

const std::vector<std::string> &benchShapeList()
{
    static const std::vector<std::string> names = { "tiny", "gpt2-124m", "llama-160m" };
    return names;
}

std::optional<ModelConfig> benchShape(const std::string &name)
{
    if (name == "tiny")
        return llamaShape(2048, 128, 352, 2, 4, 2);
    if (name == "gpt2-124m")
        return gpt2Small();
    if (name == "llama-160m")
        return llamaShape(32000, 768, 3072, 12, 12, 4);
    return std::nullopt;
}

double trainingFlopsPerStep(const ModelConfig &config, std::int64_t batch, std::int64_t tokens,
    std::int64_t projectionWeights, std::int64_t loraParameters)
{
    const double n = static_cast<double>(batch) * static_cast<double>(tokens);
    const double attentionWidth = static_cast<double>(config.numHeads * config.headDim);
    const double projections = 4.0 * static_cast<double>(projectionWeights) * n;
    const double adapters = 6.0 * static_cast<double>(loraParameters) * n;
    const double attention = 12.0 * static_cast<double>(config.numLayers) * static_cast<double>(tokens)
        * attentionWidth * n;
    return projections + adapters + attention;
}

} // namespace engine

#include "engine/model/gpt2.h"

#include "engine/core/status.h"
#include "engine/model/attention.h"
#include "engine/model/checkpointing.h"
#include "engine/model/fusedops.h"

namespace engine {

namespace {

torch::nn::LayerNorm layerNorm(const ModelConfig &config)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({ config.hiddenSize }).eps(config.normEps));
}

// An embedding whose weight is left uninitialised (the loader fills it), so
// building a large model touches no memory.
torch::nn::Embedding uninitialisedEmbedding(std::int64_t rows, std::int64_t width)
{
    return torch::nn::Embedding(torch::nn::EmbeddingOptions(rows, width)._weight(torch::empty({ rows, width })));
}

bool endsWith(const std::string &text, const std::string &suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

Gpt2AttentionImpl::Gpt2AttentionImpl(const ModelConfig &config, std::size_t layer)
    : m_heads(config.numHeads)
    , m_headDim(config.headDim)
    , m_layer(layer)
{
    const std::int64_t C = config.hiddenSize;
    m_cAttn = register_module("c_attn", Linear(C, 3 * C, true, true));
    m_cProj = register_module("c_proj", Linear(C, C, true, true));
}

torch::Tensor Gpt2AttentionImpl::forward(const torch::Tensor &x, KvCache *cache, std::int64_t startPos)
{
    const std::int64_t B = x.size(0), T = x.size(1), C = x.size(2);
    const std::vector<torch::Tensor> qkv = m_cAttn(x).split(C, 2); // 3 x (B, T, C)
    auto heads = [&](const torch::Tensor &t) { return t.view({ B, T, m_heads, m_headDim }).transpose(1, 2); };
    torch::Tensor q = heads(qkv[0]); // (B, nh, T, hd)
    torch::Tensor k = heads(qkv[1]); // (B, nh, T, hd)
    torch::Tensor v = heads(qkv[2]); // (B, nh, T, hd)
    if (cache)
        std::tie(k, v) = cache->append(m_layer, k, v); // (B, nh, S, hd)
    const torch::Tensor y = causalAttention(q, k, v, startPos); // (B, nh, T, hd)
    return m_cProj(y.transpose(1, 2).contiguous().view({ B, T, C })); // (B, T, C)
}

Gpt2MlpImpl::Gpt2MlpImpl(const ModelConfig &config)
    : m_activation(config.hiddenAct)
{
    m_cFc = register_module("c_fc", Linear(config.hiddenSize, config.intermediateSize, true, true));
    m_cProj = register_module("c_proj", Linear(config.intermediateSize, config.hiddenSize, true, true));
}

torch::Tensor Gpt2MlpImpl::forward(const torch::Tensor &x)
{
    const torch::Tensor h = m_cFc(x); // (B, T, I)
    const torch::Tensor a = m_activation == "gelu" ? torch::gelu(h) : geluTanh(h); // (B, T, I)
    return m_cProj(a); // (B, T, C)
}

Gpt2BlockImpl::Gpt2BlockImpl(const ModelConfig &config, std::size_t layer)
{
    m_ln1 = register_module("ln_1", layerNorm(config));
    m_attn = register_module("attn", Gpt2Attention(config, layer));
    m_ln2 = register_module("ln_2", layerNorm(config));
    m_mlp = register_module("mlp", Gpt2Mlp(config));
}

torch::Tensor Gpt2BlockImpl::forward(const torch::Tensor &x, KvCache *cache, std::int64_t startPos)
{
    const torch::Tensor h = x + m_attn(m_ln1(x), cache, startPos); // (B, T, C)
    return h + m_mlp(m_ln2(h)); // (B, T, C)
}

Gpt2ModelImpl::Gpt2ModelImpl(const ModelConfig &config)
{
    wte = register_module("wte", uninitialisedEmbedding(config.vocabSize, config.hiddenSize));
    wpe = register_module("wpe", uninitialisedEmbedding(config.maxPositions, config.hiddenSize));
    m_blocks = register_module("h", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.numLayers; ++i)
        m_blocks->push_back(Gpt2Block(config, static_cast<std::size_t>(i)));
    m_lnF = register_module("ln_f", layerNorm(config));
}

torch::Tensor Gpt2ModelImpl::forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos)
{
    const std::int64_t T = ids.size(1);
    if (startPos + T > wpe->weight.size(0))
        throw Error("GPT-2 input reaches position " + std::to_string(startPos + T) + " but the model has "
            + std::to_string(wpe->weight.size(0))
            + " positions (hint: shorten the text or lower the maximum sequence length)");
    const torch::Tensor positions = torch::arange(startPos, startPos + T, ids.options()); // (T)
    torch::Tensor x = wte(ids) + wpe(positions); // (B, T, C)
    for (const auto &block : *m_blocks) {
        Gpt2BlockImpl *layer = block->as<Gpt2Block>();
        if (checkpointLayers && !cache)
            x = checkpointedLayer([layer](const torch::Tensor &in) { return layer->forward(in, nullptr, 0); }, x);
        else
            x = layer->forward(x, cache, startPos); // (B, T, C)
    }
    return m_lnF(x); // (B, T, C)
}

Gpt2LmHeadModelImpl::Gpt2LmHeadModelImpl(const ModelConfig &config)
    : CausalLmNetImpl(config)
{
    m_transformer = register_module("transformer", Gpt2Model(config));
    m_lmHead = register_module("lm_head",
        config.tieWordEmbeddings ? Linear(m_transformer->wte->weight)
                                 : Linear(config.hiddenSize, config.vocabSize, false));
}

torch::Tensor Gpt2LmHeadModelImpl::forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos)
{
    return m_lmHead(m_transformer(ids, cache, startPos)); // (B, T, V)
}

std::vector<std::string> Gpt2LmHeadModelImpl::fileNamesFor(const std::string &parameterName) const
{
    const std::string prefix = "transformer.";
    if (parameterName.rfind(prefix, 0) == 0)
        return { parameterName, parameterName.substr(prefix.size()) };
    return { parameterName };
}

bool Gpt2LmHeadModelImpl::isIgnoredFileTensor(const std::string &name) const
{
    // The causal-mask buffers (not c_attn.bias), and a tied lm_head.
    return (endsWith(name, ".attn.bias") || endsWith(name, ".attn.masked_bias"))
        || (config().tieWordEmbeddings && name == "lm_head.weight");
}

} // namespace engine

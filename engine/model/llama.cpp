#include "engine/model/llama.h"

#include "engine/model/attention.h"
#include "engine/model/checkpointing.h"
#include "engine/model/fusedops.h"

namespace engine {

LlamaAttentionImpl::LlamaAttentionImpl(const ModelConfig &config, std::size_t layer)
    : m_heads(config.numHeads)
    , m_kvHeads(config.numKvHeads)
    , m_headDim(config.headDim)
    , m_window(config.slidingWindows.at(layer))
    , m_layer(layer)
{
    const std::int64_t H = config.hiddenSize;
    m_q = register_module("q_proj", Linear(H, m_heads * m_headDim, config.qkvBias));
    m_k = register_module("k_proj", Linear(H, m_kvHeads * m_headDim, config.qkvBias));
    m_v = register_module("v_proj", Linear(H, m_kvHeads * m_headDim, config.qkvBias));
    m_o = register_module("o_proj", Linear(m_heads * m_headDim, H, config.outputBias));
    if (config.qkNorm) {
        m_qNorm = register_module("q_norm", RmsNorm(m_headDim, config.normEps));
        m_kNorm = register_module("k_norm", RmsNorm(m_headDim, config.normEps));
    }
}

torch::Tensor LlamaAttentionImpl::forward(
    const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin, KvCache *cache, std::int64_t startPos)
{
    const std::int64_t B = x.size(0), T = x.size(1);
    torch::Tensor q = m_q(x).view({ B, T, m_heads, m_headDim }); // (B, T, nh, hd)
    torch::Tensor k = m_k(x).view({ B, T, m_kvHeads, m_headDim }); // (B, T, nkv, hd)
    torch::Tensor v = m_v(x).view({ B, T, m_kvHeads, m_headDim }); // (B, T, nkv, hd)
    if (!m_qNorm.is_empty()) {
        q = m_qNorm(q); // (B, T, nh, hd)
        k = m_kNorm(k); // (B, T, nkv, hd)
    }
    q = rotaryHeads(q, cos, sin); // (B, nh, T, hd)
    k = rotaryHeads(k, cos, sin); // (B, nkv, T, hd)
    v = v.transpose(1, 2); // (B, nkv, T, hd)
    if (cache)
        std::tie(k, v) = cache->append(m_layer, k, v); // (B, nkv, S, hd)
    const torch::Tensor y = causalAttention(q, k, v, startPos, m_window); // (B, nh, T, hd)
    return m_o(y.transpose(1, 2).reshape({ B, T, m_heads * m_headDim })); // (B, T, H)
}

LlamaMlpImpl::LlamaMlpImpl(const ModelConfig &config)
{
    const std::int64_t H = config.hiddenSize, I = config.intermediateSize;
    m_gate = register_module("gate_proj", Linear(H, I, config.mlpBias));
    m_up = register_module("up_proj", Linear(H, I, config.mlpBias));
    m_down = register_module("down_proj", Linear(I, H, config.mlpBias));
}

torch::Tensor LlamaMlpImpl::forward(const torch::Tensor &x)
{
    return m_down(swiGlu(m_gate(x), m_up(x))); // (B, T, H)
}

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const ModelConfig &config, std::size_t layer)
{
    m_attn = register_module("self_attn", LlamaAttention(config, layer));
    m_mlp = register_module("mlp", LlamaMlp(config));
    m_inputNorm = register_module("input_layernorm", RmsNorm(config.hiddenSize, config.normEps));
    m_postNorm = register_module("post_attention_layernorm", RmsNorm(config.hiddenSize, config.normEps));
}

torch::Tensor LlamaDecoderLayerImpl::forward(
    const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin, KvCache *cache, std::int64_t startPos)
{
    const torch::Tensor h = x + m_attn(m_inputNorm(x), cos, sin, cache, startPos); // (B, T, H)
    return h + m_mlp(m_postNorm(h)); // (B, T, H)
}

LlamaModelImpl::LlamaModelImpl(const ModelConfig &config)
    : m_rotary(config)
{
    const std::int64_t V = config.vocabSize, H = config.hiddenSize;
    embedTokens = register_module(
        "embed_tokens", torch::nn::Embedding(torch::nn::EmbeddingOptions(V, H)._weight(torch::empty({ V, H }))));
    m_layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.numLayers; ++i)
        m_layers->push_back(LlamaDecoderLayer(config, static_cast<std::size_t>(i)));
    m_norm = register_module("norm", RmsNorm(H, config.normEps));
}

torch::Tensor LlamaModelImpl::forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos)
{
    const auto [cos, sin] = m_rotary.cosSin(startPos, ids.size(1)); // (T, hd) each
    torch::Tensor x = embedTokens(ids); // (B, T, H)
    const torch::Tensor c = cos.to(x.device()), s = sin.to(x.device());
    for (const auto &layer : *m_layers) {
        LlamaDecoderLayerImpl *decoder = layer->as<LlamaDecoderLayer>();
        if (checkpointLayers && !cache)
            x = checkpointedLayer([decoder, c, s](const torch::Tensor &in) { return decoder->forward(in, c, s, nullptr, 0); }, x);
        else
            x = decoder->forward(x, c, s, cache, startPos);
    }
    return m_norm(x); // (B, T, H)
}

LlamaForCausalLmImpl::LlamaForCausalLmImpl(const ModelConfig &config)
    : CausalLmNetImpl(config)
{
    m_model = register_module("model", LlamaModel(config));
    m_lmHead = register_module("lm_head",
        config.tieWordEmbeddings ? Linear(m_model->embedTokens->weight)
                                 : Linear(config.hiddenSize, config.vocabSize, false));
}

torch::Tensor LlamaForCausalLmImpl::forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos)
{
    return m_lmHead(m_model(ids, cache, startPos)); // (B, T, V)
}

bool LlamaForCausalLmImpl::isIgnoredFileTensor(const std::string &name) const
{
    const std::string rotaryBuffer = ".rotary_emb.inv_freq";
    const bool isRotaryBuffer = name.size() >= rotaryBuffer.size()
        && name.compare(name.size() - rotaryBuffer.size(), rotaryBuffer.size(), rotaryBuffer) == 0;
    return isRotaryBuffer || (config().tieWordEmbeddings && name == "lm_head.weight");
}

} // namespace engine

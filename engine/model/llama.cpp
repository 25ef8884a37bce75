#include "engine/model/llama.h"

#include "engine/model/attention.h"
#include "engine/model/checkpointing.h"
#include "engine/model/fusedops.h"

#include <cmath>

namespace engine {

LlamaAttentionImpl::LlamaAttentionImpl(const ModelConfig &config, std::size_t layer)
    : m_heads(config.numHeads)
    , m_kvHeads(config.numKvHeads)
    , m_headDim(config.headDim)
    , m_rotaryDim(config.rotaryDim())
    , m_window(config.slidingWindows.at(layer))
    , m_scale(config.attentionScale)
    , m_softcap(config.attnSoftcap)
    , m_layer(layer)
{
    const std::int64_t H = config.hiddenSize, q = m_heads * m_headDim, kv = m_kvHeads * m_headDim;
    if (config.fusedProjections) {
        m_qkv = register_module("qkv_proj", Linear(H, q + 2 * kv, config.qkvBias));
    } else {
        m_q = register_module("q_proj", Linear(H, q, config.qkvBias));
        m_k = register_module("k_proj", Linear(H, kv, config.qkvBias));
        m_v = register_module("v_proj", Linear(H, kv, config.qkvBias));
    }
    m_o = register_module("o_proj", Linear(q, H, config.outputBias));
    if (config.qkNorm) {
        m_qNorm = register_module("q_norm", RmsNorm(m_headDim, config.normEps, config.normPlusOne));
        m_kNorm = register_module("k_norm", RmsNorm(m_headDim, config.normEps, config.normPlusOne));
    }
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> LlamaAttentionImpl::project(const torch::Tensor &x)
{
    const std::int64_t B = x.size(0), T = x.size(1);
    if (m_qkv.is_empty())
        return { m_q(x).view({ B, T, m_heads, m_headDim }), // (B, T, nh, hd)
            m_k(x).view({ B, T, m_kvHeads, m_headDim }), // (B, T, nkv, hd)
            m_v(x).view({ B, T, m_kvHeads, m_headDim }) }; // (B, T, nkv, hd)
    const torch::Tensor qkv = m_qkv(x); // (B, T, (nh + 2 nkv) hd)
    const std::int64_t q = m_heads * m_headDim, kv = m_kvHeads * m_headDim;
    return { qkv.narrow(-1, 0, q).view({ B, T, m_heads, m_headDim }), // (B, T, nh, hd)
        qkv.narrow(-1, q, kv).view({ B, T, m_kvHeads, m_headDim }), // (B, T, nkv, hd)
        qkv.narrow(-1, q + kv, kv).view({ B, T, m_kvHeads, m_headDim }) }; // (B, T, nkv, hd)
}

torch::Tensor LlamaAttentionImpl::rotate(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin) const
{
    if (m_rotaryDim == m_headDim)
        return rotaryHeads(x, cos, sin); // (B, h, T, hd)
    const torch::Tensor rotated = rotaryHeads(x.narrow(-1, 0, m_rotaryDim), cos, sin); // (B, h, T, rd)
    const torch::Tensor passed = x.narrow(-1, m_rotaryDim, m_headDim - m_rotaryDim).transpose(1, 2); // (B, h, T, hd-rd)
    return torch::cat({ rotated, passed }, -1); // (B, h, T, hd)
}

torch::Tensor LlamaAttentionImpl::forward(
    const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin, KvCache *cache, std::int64_t startPos)
{
    const std::int64_t B = x.size(0), T = x.size(1);
    auto [q, k, v] = project(x); // (B, T, nh, hd), (B, T, nkv, hd) x2
    if (!m_qNorm.is_empty()) {
        q = m_qNorm(q); // (B, T, nh, hd)
        k = m_kNorm(k); // (B, T, nkv, hd)
    }
    q = rotate(q, cos, sin); // (B, nh, T, hd)
    k = rotate(k, cos, sin); // (B, nkv, T, hd)
    v = v.transpose(1, 2); // (B, nkv, T, hd)
    if (cache)
        std::tie(k, v) = cache->append(m_layer, k, v); // (B, nkv, S, hd)
    const torch::Tensor y = causalAttention(q, k, v, startPos, m_window, m_scale, m_softcap); // (B, nh, T, hd)
    return m_o(y.transpose(1, 2).reshape({ B, T, m_heads * m_headDim })); // (B, T, H)
}

LlamaMlpImpl::LlamaMlpImpl(const ModelConfig &config)
    : m_activation(config.hiddenAct)
{
    const std::int64_t H = config.hiddenSize, I = config.intermediateSize;
    if (config.fusedProjections) {
        m_gateUp = register_module("gate_up_proj", Linear(H, 2 * I, config.mlpBias));
    } else {
        m_gate = register_module("gate_proj", Linear(H, I, config.mlpBias));
        m_up = register_module("up_proj", Linear(H, I, config.mlpBias));
    }
    m_down = register_module("down_proj", Linear(I, H, config.mlpBias));
}

torch::Tensor LlamaMlpImpl::forward(const torch::Tensor &x)
{
    torch::Tensor gate, up; // (B, T, I) each
    if (m_gateUp.is_empty()) {
        gate = m_gate(x);
        up = m_up(x);
    } else {
        const torch::Tensor both = m_gateUp(x); // (B, T, 2I)
        const std::int64_t I = both.size(-1) / 2;
        gate = both.narrow(-1, 0, I);
        up = both.narrow(-1, I, I);
    }
    if (m_activation == "silu")
        return m_down(swiGlu(gate, up)); // (B, T, H)
    if (m_activation == "gelu")
        return m_down(torch::gelu(gate) * up); // (B, T, H), exact (erf) GELU
    return m_down(geGlu(gate, up)); // (B, T, H), gelu_pytorch_tanh
}

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const ModelConfig &config, std::size_t layer)
{
    const std::int64_t H = config.hiddenSize;
    const bool plusOne = config.normPlusOne;
    m_attn = register_module("self_attn", LlamaAttention(config, layer));
    m_mlp = register_module("mlp", LlamaMlp(config));
    m_inputNorm = register_module("input_layernorm", RmsNorm(H, config.normEps, plusOne));
    m_postNorm = register_module("post_attention_layernorm", RmsNorm(H, config.normEps, plusOne));
    if (config.sandwichNorms) {
        m_preFfNorm = register_module("pre_feedforward_layernorm", RmsNorm(H, config.normEps, plusOne));
        m_postFfNorm = register_module("post_feedforward_layernorm", RmsNorm(H, config.normEps, plusOne));
    }
}

torch::Tensor LlamaDecoderLayerImpl::forward(
    const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin, KvCache *cache, std::int64_t startPos)
{
    const torch::Tensor a = m_attn(m_inputNorm(x), cos, sin, cache, startPos); // (B, T, H)
    if (m_preFfNorm.is_empty()) {
        const torch::Tensor h = x + a; // (B, T, H)
        return h + m_mlp(m_postNorm(h)); // (B, T, H)
    }
    // Gemma 2/3: post_attention_layernorm normalises the attention output.
    const torch::Tensor h = x + m_postNorm(a); // (B, T, H)
    return h + m_postFfNorm(m_mlp(m_preFfNorm(h))); // (B, T, H)
}

LlamaModelImpl::LlamaModelImpl(const ModelConfig &config)
    : m_rotary(config)
    , m_localRotary(config, true)
    , m_separateLocal(config.ropeLocalTheta > 0.0)
    , m_embedScale(config.scaleEmbeddings ? std::sqrt(static_cast<double>(config.hiddenSize)) : 1.0)
{
    const std::int64_t V = config.vocabSize, H = config.hiddenSize;
    embedTokens = register_module(
        "embed_tokens", torch::nn::Embedding(torch::nn::EmbeddingOptions(V, H)._weight(torch::empty({ V, H }))));
    m_layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config.numLayers; ++i) {
        m_layers->push_back(LlamaDecoderLayer(config, static_cast<std::size_t>(i)));
        m_localLayers.push_back(config.slidingWindows.at(static_cast<std::size_t>(i)) > 0);
    }
    m_norm = register_module("norm", RmsNorm(H, config.normEps, config.normPlusOne));
}

torch::Tensor LlamaModelImpl::forward(const torch::Tensor &ids, KvCache *cache, std::int64_t startPos)
{
    torch::Tensor x = embedTokens(ids); // (B, T, H)
    if (m_embedScale != 1.0) // the factor rounded to x's dtype first, as transformers does
        x = x * torch::scalar_tensor(m_embedScale, x.options()); // (B, T, H)
    const auto table = [&](const Rotary &rotary) {
        const auto [cos, sin] = rotary.cosSin(startPos, ids.size(1)); // (T, rd) each
        return std::make_pair(cos.to(x.device()), sin.to(x.device()));
    };
    const auto global = table(m_rotary);
    const auto local = m_separateLocal ? table(m_localRotary) : global;
    for (std::size_t i = 0; i < m_layers->size(); ++i) {
        LlamaDecoderLayerImpl *decoder = m_layers[i]->as<LlamaDecoderLayer>();
        const auto &[c, s] = m_localLayers[i] ? local : global;
        if (checkpointLayers && !cache)
            x = checkpointedLayer([decoder, c = c, s = s](const torch::Tensor &in) { return decoder->forward(in, c, s, nullptr, 0); }, x);
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
    return logits(m_model(ids, cache, startPos)); // (B, T, V)
}

torch::Tensor LlamaForCausalLmImpl::logits(const torch::Tensor &hidden)
{
    const torch::Tensor out = m_lmHead(hidden); // (..., V)
    const double cap = config().finalSoftcap;
    return cap > 0.0 ? torch::tanh(out / cap) * cap : out; // (..., V)
}

std::vector<std::string> LlamaForCausalLmImpl::fileNamesFor(const std::string &parameterName) const
{
    if (!config().textOfMultimodal)
        return { parameterName };
    // A multimodal gemma3 folder: language_model.model.* (as Google publishes them)
    // or model.language_model.* (as transformers 4.52+ saves them).
    if (parameterName.rfind("model.", 0) == 0)
        return { "language_model." + parameterName, "model.language_model." + parameterName.substr(6), parameterName };
    return { "language_model." + parameterName, parameterName };
}

bool LlamaForCausalLmImpl::isIgnoredFileTensor(const std::string &name) const
{
    const std::string rotaryBuffer = ".rotary_emb.inv_freq";
    if (name.size() >= rotaryBuffer.size()
        && name.compare(name.size() - rotaryBuffer.size(), rotaryBuffer.size(), rotaryBuffer) == 0)
        return true;
    if (config().tieWordEmbeddings && (name == "lm_head.weight" || name == "language_model.lm_head.weight"))
        return true;
    if (!config().textOfMultimodal) // the vision tower and projector of a multimodal folder
        return false;
    for (const char *prefix : { "vision_tower.", "multi_modal_projector.", "model.vision_tower.",
             "model.multi_modal_projector." })
        if (name.rfind(prefix, 0) == 0)
            return true;
    return false;
}

} // namespace engine

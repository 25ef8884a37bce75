#include "engine/model/kvcache.h"

#include "engine/core/status.h"

namespace engine {

std::int64_t KvCache::length() const
{
    return m_keys.empty() || !m_keys.back().defined() ? 0 : m_keys.back().size(2);
}

void KvCache::clear()
{
    for (std::size_t i = 0; i < m_keys.size(); ++i) {
        m_keys[i] = torch::Tensor();
        m_values[i] = torch::Tensor();
    }
}

std::pair<torch::Tensor, torch::Tensor> KvCache::append(
    std::size_t layer, const torch::Tensor &k, const torch::Tensor &v)
{
    if (layer >= m_keys.size())
        throw Error("KV cache has " + std::to_string(m_keys.size()) + " layers, layer " + std::to_string(layer)
            + " was asked for (hint: create the cache with CausalLm::makeCache())");
    if (m_keys[layer].defined()) {
        m_keys[layer] = torch::cat({ m_keys[layer], k }, 2); // (B, h, S, hd)
        m_values[layer] = torch::cat({ m_values[layer], v }, 2); // (B, h, S, hd)
    } else {
        m_keys[layer] = k;
        m_values[layer] = v;
    }
    return { m_keys[layer], m_values[layer] };
}

} // namespace engine

// Internal (Torch): the key/value cache for incremental decoding. One entry per
// layer holding every key and value computed so far, (B, kv_heads, S, hd).
// A forward pass with a cache appends to it; the cache's length must equal the
// position of the first new token. Not thread-safe.
#pragma once

#include <torch/torch.h>

#include <utility>
#include <vector>

namespace engine {

class KvCache
{
public:
    explicit KvCache(std::size_t layers = 0)
        : m_keys(layers)
        , m_values(layers)
    { }

    // Tokens cached so far (0 when empty).
    std::int64_t length() const;
    void clear();
    // Appends k, v (B, h, T, hd) to layer `layer` and returns all keys and
    // values of that layer, (B, h, S, hd).
    std::pair<torch::Tensor, torch::Tensor> append(std::size_t layer, const torch::Tensor &k, const torch::Tensor &v);
    std::size_t layers() const { return m_keys.size(); }

private:
    std::vector<torch::Tensor> m_keys;
    std::vector<torch::Tensor> m_values;
};

} // namespace engine

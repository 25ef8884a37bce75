// Compact in-memory store of tokenized examples for training: 4 bytes per
// token (the trained flag is folded into the sign: a masked token is stored
// as ~id) in 16 MB chunks (no reallocation copies, so the peak stays near the
// data size), 12 bytes per example and an optional class id. Assembles batches
// from lists of examples per sequence (packing layout, padding, labels,
// position ids). Internal to engine/data.
#pragma once

#include "engine/data/batch.h"
#include "engine/data/exampletokenizer.h"

#include <cstdint>
#include <vector>

namespace engine::data {

class ExampleStore
{
public:
    void add(const TokenizedExample &example, std::int32_t classLabel);
    std::size_t size() const { return m_length.size(); }
    std::size_t length(std::size_t index) const { return m_length[index]; }
    std::uint64_t tokens() const { return m_tokens; }
    std::uint64_t trainedTokens() const { return m_trained; }
    std::int32_t classLabel(std::size_t index) const { return m_classes.empty() ? -1 : m_classes[index]; }

    // Replaces every class id c by map[c] (class ids are assigned after reading).
    void remapClasses(const std::vector<std::int32_t> &map);
    // FNV-1a over all tokens, masks and classes: identifies the tokenized data.
    std::uint64_t hash() const;

    // A store holding the given examples of this one, in that order.
    ExampleStore subset(const std::vector<std::uint32_t> &indices) const;

    // One batch row per entry of `sequences`; each entry lists example
    // indices packed into that row.
    Batch assemble(const std::vector<std::vector<std::uint32_t>> &sequences, TokenId padId) const;

private:
    void append(const std::int32_t *data, std::size_t n, std::int32_t classLabel);
    const std::int32_t *data(std::size_t index) const;

    std::vector<std::vector<std::int32_t>> m_chunks; // examples never straddle two chunks
    std::vector<std::uint32_t> m_chunkOf; // per example
    std::vector<std::uint32_t> m_offset; // per example, within its chunk
    std::vector<std::uint32_t> m_length; // per example
    std::uint64_t m_tokens = 0;
    std::vector<std::int32_t> m_classes; // empty unless some example has a class
    std::uint64_t m_trained = 0;
};

} // namespace engine::data

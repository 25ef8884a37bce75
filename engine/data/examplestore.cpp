// ExampleStore: append, subset and batch assembly.
#include "engine/data/examplestore.h"

#include <algorithm>

namespace engine::data {

void ExampleStore::add(const TokenizedExample &example, std::int32_t classLabel)
{
    for (std::size_t i = 0; i < example.ids.size(); ++i) {
        const bool trained = example.labels[i] != kIgnoreIndex;
        m_tokens.push_back(trained ? example.ids[i] : ~example.ids[i]);
        m_trained += trained;
    }
    m_offsets.push_back(m_tokens.size());
    if (classLabel >= 0 && m_classes.size() + 1 < size())
        m_classes.assign(size() - 1, -1); // earlier examples had no class
    if (classLabel >= 0 || !m_classes.empty())
        m_classes.push_back(classLabel);
}

void ExampleStore::remapClasses(const std::vector<std::int32_t> &map)
{
    for (std::int32_t &c : m_classes)
        c = c >= 0 ? map[static_cast<std::size_t>(c)] : c;
}

std::uint64_t ExampleStore::hash() const
{
    std::uint64_t h = 0xCBF29CE484222325ULL;
    auto mix = [&h](std::uint64_t v) {
        for (int i = 0; i < 8; ++i, v >>= 8)
            h = (h ^ (v & 0xFF)) * 0x100000001B3ULL;
    };
    for (const std::int32_t v : m_tokens)
        mix(static_cast<std::uint32_t>(v));
    for (const std::uint64_t o : m_offsets)
        mix(o);
    for (const std::int32_t c : m_classes)
        mix(static_cast<std::uint32_t>(c));
    return h;
}

ExampleStore ExampleStore::subset(const std::vector<std::uint32_t> &indices) const
{
    ExampleStore out;
    for (const std::uint32_t index : indices) {
        out.m_tokens.insert(out.m_tokens.end(), m_tokens.begin() + static_cast<std::ptrdiff_t>(m_offsets[index]),
                            m_tokens.begin() + static_cast<std::ptrdiff_t>(m_offsets[index + 1]));
        out.m_offsets.push_back(out.m_tokens.size());
        if (!m_classes.empty())
            out.m_classes.push_back(m_classes[index]);
    }
    for (const std::int32_t v : out.m_tokens)
        out.m_trained += v >= 0;
    return out;
}

Batch ExampleStore::assemble(const std::vector<std::vector<std::uint32_t>> &sequences, TokenId padId) const
{
    Batch batch;
    batch.rows = static_cast<int>(sequences.size());
    std::size_t columns = 0;
    for (const auto &sequence : sequences) {
        std::size_t used = 0;
        for (const std::uint32_t index : sequence)
            used += length(index);
        columns = std::max(columns, used);
    }
    batch.columns = static_cast<int>(columns);
    const std::size_t cells = sequences.size() * columns;
    batch.inputIds.assign(cells, padId);
    batch.labels.assign(cells, kIgnoreIndex);
    batch.attentionMask.assign(cells, 0);
    batch.positionIds.assign(cells, 0);
    for (std::size_t row = 0; row < sequences.size(); ++row) {
        std::size_t column = 0;
        for (std::size_t d = 0; d < sequences[row].size(); ++d) {
            const std::uint32_t index = sequences[row][d];
            for (std::uint64_t t = m_offsets[index]; t < m_offsets[index + 1]; ++t, ++column) {
                const std::int32_t v = m_tokens[t];
                const std::size_t cell = row * columns + column;
                batch.inputIds[cell] = v >= 0 ? v : ~v;
                const bool documentStart = t == m_offsets[index] && d > 0; // never learn across documents
                batch.labels[cell] = v >= 0 && !documentStart ? v : kIgnoreIndex;
                batch.attentionMask[cell] = 1;
                batch.positionIds[cell] = static_cast<std::int32_t>(t - m_offsets[index]);
                batch.trainedTokens += column > 0 && batch.labels[cell] != kIgnoreIndex;
            }
            ++batch.documents;
        }
        if (!m_classes.empty())
            batch.classLabels.push_back(sequences[row].empty() ? -1 : m_classes[sequences[row][0]]);
    }
    return batch;
}

} // namespace engine::data

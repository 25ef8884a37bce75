// ExampleStore: chunked append, subset and batch assembly.
#include "engine/data/examplestore.h"

#include <algorithm>

namespace engine::data {

namespace {

constexpr std::size_t kChunkTokens = std::size_t(1) << 22; // 16 MB

} // namespace

void ExampleStore::append(const std::int32_t *tokens, std::size_t n, std::int32_t classLabel)
{
    if (m_chunks.empty() || m_chunks.back().size() + n > m_chunks.back().capacity()) {
        m_chunks.emplace_back();
        m_chunks.back().reserve(std::max(kChunkTokens, n));
    }
    std::vector<std::int32_t> &chunk = m_chunks.back();
    m_chunkOf.push_back(static_cast<std::uint32_t>(m_chunks.size() - 1));
    m_offset.push_back(static_cast<std::uint32_t>(chunk.size()));
    m_length.push_back(static_cast<std::uint32_t>(n));
    chunk.insert(chunk.end(), tokens, tokens + n);
    m_tokens += n;
    for (std::size_t i = 0; i < n; ++i)
        m_trained += tokens[i] >= 0;
    if (classLabel >= 0 && m_classes.size() + 1 < size())
        m_classes.assign(size() - 1, -1); // earlier examples had no class
    if (classLabel >= 0 || !m_classes.empty())
        m_classes.push_back(classLabel);
}

const std::int32_t *ExampleStore::data(std::size_t index) const
{
    return m_chunks[m_chunkOf[index]].data() + m_offset[index];
}

void ExampleStore::add(const TokenizedExample &example, std::int32_t classLabel)
{
    std::vector<std::int32_t> encoded(example.ids.size());
    for (std::size_t i = 0; i < example.ids.size(); ++i)
        encoded[i] = example.labels[i] != kIgnoreIndex ? example.ids[i] : ~example.ids[i];
    append(encoded.data(), encoded.size(), classLabel);
}

void ExampleStore::remapClasses(const std::vector<std::int32_t> &map)
{
    for (std::int32_t &c : m_classes)
        c = c >= 0 ? map[static_cast<std::size_t>(c)] : c;
}

std::uint64_t ExampleStore::hash() const
{
    std::uint64_t h = 0xCBF29CE484222325ULL;
    auto mix = [&h](std::uint64_t v) { h = (h ^ v) * 0x100000001B3ULL; };
    for (std::size_t e = 0; e < size(); ++e) {
        mix(m_length[e]);
        const std::int32_t *tokens = data(e);
        for (std::size_t i = 0; i < m_length[e]; ++i)
            mix(static_cast<std::uint32_t>(tokens[i]));
    }
    for (const std::int32_t c : m_classes)
        mix(static_cast<std::uint32_t>(c));
    return h;
}

ExampleStore ExampleStore::subset(const std::vector<std::uint32_t> &indices) const
{
    ExampleStore out;
    for (const std::uint32_t index : indices)
        out.append(data(index), m_length[index], m_classes.empty() ? -1 : m_classes[index]);
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
            const std::int32_t *tokens = data(index);
            for (std::size_t t = 0; t < m_length[index]; ++t, ++column) {
                const std::int32_t v = tokens[t];
                const std::size_t cell = row * columns + column;
                batch.inputIds[cell] = v >= 0 ? v : ~v;
                const bool documentStart = t == 0 && d > 0; // never learn across documents
                batch.labels[cell] = v >= 0 && !documentStart ? v : kIgnoreIndex;
                batch.attentionMask[cell] = 1;
                batch.positionIds[cell] = static_cast<std::int32_t>(t);
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

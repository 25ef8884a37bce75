// BPE encoding of one word (see bpemodel.h). The merge loop mirrors
// tokenizers' word.rs: a min-heap of (rank, position) over adjacent pairs;
// entries whose pair changed since they were pushed are skipped.
#include "engine/tokenizer/bpemodel.h"

#include "engine/tokenizer/jsonfields.h"
#include "engine/tokenizer/utf8.h"

#include <algorithm>
#include <cstdio>

namespace engine::tok {
namespace {

constexpr std::size_t kCacheMaxWordBytes = 256;   // longer words are not cached (as in tokenizers)

struct QueuedMerge
{
    std::uint32_t rank;
    std::uint32_t pos;
    TokenId id;
    // std::push_heap builds a max-heap: "less" means lower priority (higher rank, then later position).
    bool operator<(const QueuedMerge &o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

struct Symbol
{
    TokenId id;
    std::int32_t prev;
    std::int32_t next;
    std::uint32_t length; // bytes; 0 once merged into its left neighbour
};

} // namespace

BpeModel::BpeModel(const std::vector<std::pair<std::string, TokenId>> &vocab, const std::vector<Merge> &merges,
                   BpeOptions options, const std::string &context)
    : m_options(std::move(options))
{
    std::size_t bytes = 0;
    TokenId maxId = -1;
    for (const auto &[token, id] : vocab) {
        if (id < 0)
            failField(context + ".vocab", "token '" + token + "' has a negative id");
        bytes += token.size();
        maxId = std::max(maxId, id);
    }
    m_arena.reserve(bytes);
    m_spans.assign(static_cast<std::size_t>(maxId + 1), Span{});
    for (const auto &[token, id] : vocab) {
        m_spans[static_cast<std::size_t>(id)] = {static_cast<std::uint32_t>(m_arena.size()),
                                                 static_cast<std::int32_t>(token.size())};
        m_arena += token;
    }
    m_ids.reserve(vocab.size());
    for (const auto &[token, id] : vocab)
        m_ids[idToToken(id)] = id;

    const std::size_t prefixLength = m_options.continuingSubwordPrefix.size();
    m_merges.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        const auto &[left, right] = merges[rank];
        const std::string where = context + ".merges[" + std::to_string(rank) + "]";
        const auto leftId = tokenToId(left);
        const auto rightId = tokenToId(right);
        if (!leftId || !rightId)
            failField(where, "merge token '" + (leftId ? right : left) + "' is not in the vocabulary",
                      "every token of a merge must be a key of model.vocab");
        const std::string merged = left + (right.compare(0, prefixLength, m_options.continuingSubwordPrefix) == 0
                                               ? right.substr(prefixLength)
                                               : right);
        const auto mergedId = tokenToId(merged);
        if (!mergedId)
            failField(where, "merged token '" + merged + "' is not in the vocabulary",
                      "every merge result must be a key of model.vocab");
        m_merges[pairKey(*leftId, *rightId)] = {static_cast<std::uint32_t>(rank), *mergedId};
    }

    if (m_options.unkToken) {
        m_unkId = tokenToId(*m_options.unkToken);
        if (!m_unkId)
            failField(context + ".unk_token", "unk token '" + *m_options.unkToken + "' is not in the vocabulary");
    }
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        m_byteIds[b] = tokenToId(name).value_or(-1);
    }
    m_splitAtWordMarks = canSplitAtWordMarks();
}

std::optional<TokenId> BpeModel::tokenToId(std::string_view token) const
{
    const auto it = m_ids.find(token);
    if (it == m_ids.end())
        return std::nullopt;
    return it->second;
}

std::string_view BpeModel::idToToken(TokenId id) const
{
    if (!hasId(id))
        return {};
    const Span &span = m_spans[static_cast<std::size_t>(id)];
    return std::string_view(m_arena).substr(span.offset, static_cast<std::size_t>(span.length));
}

bool BpeModel::hasId(TokenId id) const
{
    return id >= 0 && static_cast<std::size_t>(id) < m_spans.size() && m_spans[static_cast<std::size_t>(id)].length >= 0;
}

// The word mark of SentencePiece-style vocabularies (U+2581 "▁", which their
// normalizer puts in place of every space).
constexpr std::string_view kWordMark = "\xE2\x96\x81";

bool BpeModel::canSplitAtWordMarks() const
{
    if (m_options.ignoreMerges || !m_options.continuingSubwordPrefix.empty() || !m_options.endOfWordSuffix.empty()
        || !tokenToId(kWordMark))
        return false;
    for (TokenId id = 0; static_cast<std::size_t>(id) < m_spans.size(); ++id) {
        std::string_view token = idToToken(id);
        while (token.substr(0, kWordMark.size()) == kWordMark)
            token.remove_prefix(kWordMark.size());
        if (token.find(kWordMark) != std::string_view::npos)
            return false; // a token that joins a word to the mark after it
    }
    return true;
}

void BpeModel::encodeWord(std::string_view word, std::vector<TokenId> &out) const
{
    if (!m_splitAtWordMarks)
        return encodePiece(word, out);
    // No token holds a mark after anything but marks, so no merge joins two
    // pieces that start at a run of marks: encoding them one by one gives the
    // ids of the whole, and each piece is short enough for the cache.
    std::size_t start = 0;
    for (std::size_t at = word.find(kWordMark, 1); at != std::string_view::npos; at = word.find(kWordMark, at + 1)) {
        const bool afterMark
            = at >= kWordMark.size() && word.compare(at - kWordMark.size(), kWordMark.size(), kWordMark) == 0;
        if (afterMark)
            continue; // inside a run of marks
        encodePiece(word.substr(start, at - start), out);
        start = at;
    }
    encodePiece(word.substr(start), out);
}

void BpeModel::encodePiece(std::string_view word, std::vector<TokenId> &out) const
{
    if (word.empty())
        return;
    if (m_options.ignoreMerges) {
        if (const auto id = tokenToId(word)) {
            out.push_back(*id);
            return;
        }
    }
    const bool cacheable = word.size() < kCacheMaxWordBytes;
    if (cacheable && m_cache.lookup(word, out))
        return;
    const std::size_t first = out.size();
    mergeWord(word, out);
    if (cacheable)
        m_cache.store(word, out.data() + first, out.size() - first);
}

void BpeModel::mergeWord(std::string_view word, std::vector<TokenId> &out) const
{
    thread_local std::vector<TokenId> ids;
    thread_local std::vector<std::uint32_t> lengths;
    ids.clear();
    lengths.clear();
    initialSymbols(word, ids, lengths);
    mergeAll(ids, lengths);
    out.insert(out.end(), ids.begin(), ids.end());
}

// One symbol per character (with prefix/suffix), byte fallback or unk for
// characters outside the vocabulary, in the order tokenizers' merge_word uses.
void BpeModel::initialSymbols(std::string_view word, std::vector<TokenId> &ids, std::vector<std::uint32_t> &lengths) const
{
    const std::string &prefix = m_options.continuingSubwordPrefix;
    const std::string &suffix = m_options.endOfWordSuffix;
    std::optional<std::pair<TokenId, std::uint32_t>> pendingUnk;
    std::string decorated;
    std::size_t pos = 0;
    while (pos < word.size()) {
        const std::size_t begin = pos;
        pos = std::min(word.size(), pos + utf8SequenceLength(static_cast<unsigned char>(word[pos])));
        const auto byteLength = static_cast<std::uint32_t>(pos - begin);
        std::string_view piece = word.substr(begin, byteLength);
        if ((begin > 0 && !prefix.empty()) || (pos == word.size() && !suffix.empty())) {
            decorated.assign(begin > 0 ? prefix : std::string());
            decorated.append(piece);
            if (pos == word.size())
                decorated += suffix;
            piece = decorated;
        }
        if (const auto id = tokenToId(piece)) {
            if (pendingUnk) {
                ids.push_back(pendingUnk->first);
                lengths.push_back(pendingUnk->second);
                pendingUnk.reset();
            }
            ids.push_back(*id);
            lengths.push_back(byteLength);
            continue;
        }
        if (m_options.byteFallback
            && std::all_of(piece.begin(), piece.end(), [&](char b) { return m_byteIds[static_cast<unsigned char>(b)] >= 0; })) {
            for (const char b : piece) {
                ids.push_back(m_byteIds[static_cast<unsigned char>(b)]);
                lengths.push_back(1);
            }
            continue;
        }
        if (!m_unkId)
            continue; // no unk token: the character is dropped, as tokenizers does
        if (pendingUnk && m_options.fuseUnk) {
            pendingUnk->second += byteLength;
            continue;
        }
        if (pendingUnk) {
            ids.push_back(pendingUnk->first);
            lengths.push_back(pendingUnk->second);
        }
        pendingUnk = std::make_pair(*m_unkId, byteLength);
    }
    if (pendingUnk) {
        ids.push_back(pendingUnk->first);
        lengths.push_back(pendingUnk->second);
    }
}

void BpeModel::mergeAll(std::vector<TokenId> &ids, std::vector<std::uint32_t> &lengths) const
{
    if (ids.size() < 2)
        return;
    thread_local std::vector<Symbol> symbols;
    thread_local std::vector<QueuedMerge> queue;
    symbols.clear();
    queue.clear();
    const auto count = static_cast<std::int32_t>(ids.size());
    for (std::int32_t i = 0; i < count; ++i)
        symbols.push_back({ids[static_cast<std::size_t>(i)], i - 1, i + 1 < count ? i + 1 : -1,
                           lengths[static_cast<std::size_t>(i)]});
    const auto findMerge = [&](TokenId a, TokenId b) -> const MergeTarget * {
        const auto it = m_merges.find(pairKey(a, b));
        return it == m_merges.end() ? nullptr : &it->second;
    };
    for (std::int32_t i = 0; i + 1 < count; ++i)
        if (const MergeTarget *m = findMerge(symbols[static_cast<std::size_t>(i)].id, symbols[static_cast<std::size_t>(i + 1)].id))
            queue.push_back({m->rank, static_cast<std::uint32_t>(i), m->id});
    std::make_heap(queue.begin(), queue.end());

    while (!queue.empty()) {
        std::pop_heap(queue.begin(), queue.end());
        const QueuedMerge top = queue.back();
        queue.pop_back();
        Symbol &current = symbols[top.pos];
        if (current.length == 0 || current.next < 0)
            continue;
        Symbol &right = symbols[static_cast<std::size_t>(current.next)];
        const MergeTarget *target = findMerge(current.id, right.id);
        if (!target || target->id != top.id)
            continue; // stale entry
        current.id = top.id;
        current.length += right.length;
        current.next = right.next;
        right.length = 0;
        if (current.next >= 0)
            symbols[static_cast<std::size_t>(current.next)].prev = static_cast<std::int32_t>(top.pos);
        if (current.prev >= 0)
            if (const MergeTarget *m = findMerge(symbols[static_cast<std::size_t>(current.prev)].id, current.id)) {
                queue.push_back({m->rank, static_cast<std::uint32_t>(current.prev), m->id});
                std::push_heap(queue.begin(), queue.end());
            }
        if (current.next >= 0)
            if (const MergeTarget *m = findMerge(current.id, symbols[static_cast<std::size_t>(current.next)].id)) {
                queue.push_back({m->rank, top.pos, m->id});
                std::push_heap(queue.begin(), queue.end());
            }
    }
    ids.clear();
    for (const Symbol &s : symbols)
        if (s.length != 0)
            ids.push_back(s.id);
}

} // namespace engine::tok

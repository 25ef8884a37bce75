// BpeTrainer: word counting with the GPT-2 pre-tokenizer, then merge learning
// with incremental pair counts and a lazy max-heap (a popped entry whose count
// is stale is dropped; every change pushes the new count).
#include "engine/tokenizer/bpetrainer.h"

#include "engine/tokenizer/bytelevel.h"
#include "engine/tokenizer/jsonfields.h"
#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/utf8.h"

#include <algorithm>
#include <queue>
#include <unordered_map>
#include <unordered_set>

namespace engine {

namespace {

using SymbolId = std::int32_t;
using PairKey = std::uint64_t;

PairKey pairKey(SymbolId a, SymbolId b)
{
    return (static_cast<PairKey>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
}
SymbolId leftOf(PairKey key)
{
    return static_cast<SymbolId>(key >> 32);
}
SymbolId rightOf(PairKey key)
{
    return static_cast<SymbolId>(key & 0xFFFFFFFFu);
}

struct Word
{
    std::vector<SymbolId> symbols;
    std::int64_t count = 0;
};

struct Candidate
{
    std::int64_t count;
    PairKey pair;
    // Max-heap order: higher count first, then the lower pair (left id, then right id).
    bool operator<(const Candidate &other) const
    {
        return count != other.count ? count < other.count : pair > other.pair;
    }
};

// The merge state: words as symbol ids, pair counts and where each pair occurs.
class MergeState
{
public:
    explicit MergeState(std::vector<Word> words)
        : m_words(std::move(words))
    {
        for (std::uint32_t w = 0; w < m_words.size(); ++w)
            addPairs(w, nullptr);
        for (const auto &[pair, count] : m_counts)
            m_heap.push({ count, pair });
    }

    // The most frequent pair with its count, or count 0 when none is left.
    Candidate best()
    {
        while (!m_heap.empty()) {
            const Candidate top = m_heap.top();
            const auto it = m_counts.find(top.pair);
            if (it != m_counts.end() && it->second == top.count && top.count > 0)
                return top;
            m_heap.pop();
        }
        return { 0, 0 };
    }

    // Replaces every occurrence of `pair` by `merged` and updates the counts.
    void apply(PairKey pair, SymbolId merged)
    {
        std::vector<std::uint32_t> where = std::move(m_where[pair]);
        m_where.erase(pair);
        std::sort(where.begin(), where.end());
        where.erase(std::unique(where.begin(), where.end()), where.end());
        std::unordered_set<PairKey> changed;
        for (const std::uint32_t w : where) {
            if (!contains(m_words[w].symbols, pair))
                continue;
            removePairs(w, changed);
            mergeInWord(m_words[w].symbols, pair, merged);
            addPairs(w, &changed);
        }
        m_counts.erase(pair);
        for (const PairKey p : changed) {
            const auto it = m_counts.find(p);
            if (it != m_counts.end() && it->second > 0)
                m_heap.push({ it->second, p });
        }
    }

private:
    static bool contains(const std::vector<SymbolId> &s, PairKey pair)
    {
        for (std::size_t i = 0; i + 1 < s.size(); ++i)
            if (pairKey(s[i], s[i + 1]) == pair)
                return true;
        return false;
    }

    static void mergeInWord(std::vector<SymbolId> &s, PairKey pair, SymbolId merged)
    {
        std::size_t out = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (i + 1 < s.size() && pairKey(s[i], s[i + 1]) == pair) {
                s[out++] = merged;
                ++i;
            } else {
                s[out++] = s[i];
            }
        }
        s.resize(out);
    }

    void removePairs(std::uint32_t w, std::unordered_set<PairKey> &changed)
    {
        const Word &word = m_words[w];
        for (std::size_t i = 0; i + 1 < word.symbols.size(); ++i) {
            const PairKey p = pairKey(word.symbols[i], word.symbols[i + 1]);
            auto it = m_counts.find(p);
            if (it == m_counts.end())
                continue;
            it->second -= word.count;
            changed.insert(p);
            if (it->second <= 0)
                m_counts.erase(it);
        }
    }

    void addPairs(std::uint32_t w, std::unordered_set<PairKey> *changed)
    {
        const Word &word = m_words[w];
        for (std::size_t i = 0; i + 1 < word.symbols.size(); ++i) {
            const PairKey p = pairKey(word.symbols[i], word.symbols[i + 1]);
            m_counts[p] += word.count;
            std::vector<std::uint32_t> &list = m_where[p];
            if (list.empty() || list.back() != w)
                list.push_back(w);
            if (changed)
                changed->insert(p);
        }
    }

    std::vector<Word> m_words;
    std::unordered_map<PairKey, std::int64_t> m_counts;
    std::unordered_map<PairKey, std::vector<std::uint32_t>> m_where; // may hold stale word indices
    std::priority_queue<Candidate> m_heap;
};

std::vector<std::string> utf8Chars(std::string_view text)
{
    std::vector<std::string> chars;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t n = tok::utf8SequenceLength(static_cast<unsigned char>(text[pos]));
        chars.emplace_back(text.substr(pos, n));
        pos += n;
    }
    return chars;
}

} // namespace

Status BpeTrainerOptions::validate() const
{
    const std::size_t minimum = specialTokens.size() + 256;
    if (vocabSize < minimum)
        return Status::failure("vocabulary size " + std::to_string(vocabSize) + " is below " + std::to_string(minimum)
            + " (hint: a byte-level vocabulary holds the 256 byte tokens and " + std::to_string(specialTokens.size())
            + " special tokens before any merge)");
    if (vocabSize > (1u << 24))
        return Status::failure("vocabulary size " + std::to_string(vocabSize) + " is above 16777216");
    if (minFrequency < 1)
        return Status::failure("minimum pair frequency must be at least 1");
    for (std::size_t i = 0; i < specialTokens.size(); ++i) {
        if (specialTokens[i].empty())
            return Status::failure("special token " + std::to_string(i + 1) + " is empty");
        if (std::count(specialTokens.begin(), specialTokens.end(), specialTokens[i]) > 1)
            return Status::failure("special token '" + specialTokens[i] + "' is listed twice");
    }
    return Status::success();
}

struct BpeTrainer::Impl
{
    BpeTrainerOptions options;
    std::unique_ptr<tok::PreTokenizer> preTokenizer = tok::makeGpt2PreTokenizer();
    std::unordered_map<std::string, std::int64_t> wordCounts; // byte-level mapped word -> count

    void countPiece(std::string_view piece)
    {
        preTokenizer->split(piece, false, [this](std::string_view word, bool) { ++wordCounts[std::string(word)]; });
    }

    // Cuts out the earliest special-token string, repeatedly; counts the text between.
    void countText(std::string_view text)
    {
        while (!text.empty()) {
            std::size_t at = std::string_view::npos, length = 0;
            for (const std::string &special : options.specialTokens) {
                const std::size_t found = text.find(special);
                if (found < at || (found == at && special.size() > length)) {
                    at = found;
                    length = special.size();
                }
            }
            if (at == std::string_view::npos) {
                countPiece(text);
                return;
            }
            if (at > 0)
                countPiece(text.substr(0, at));
            text.remove_prefix(at + length);
        }
    }
};

BpeTrainer::BpeTrainer(BpeTrainerOptions options)
    : m_impl(std::make_unique<Impl>())
{
    if (Status status = options.validate(); !status)
        throw Error("tokenizer training: " + status.message());
    m_impl->options = std::move(options);
}

BpeTrainer::~BpeTrainer() = default;

void BpeTrainer::addText(std::string_view text, const std::string &source)
{
    tok::requireUtf8(text, source);
    m_impl->countText(text);
}

std::size_t BpeTrainer::distinctWords() const
{
    return m_impl->wordCounts.size();
}

std::optional<TrainedBpe> BpeTrainer::train(const BpeProgress &progress) const
{
    TrainedBpe out;
    out.specialTokens = m_impl->options.specialTokens;
    out.vocab = out.specialTokens;
    std::unordered_map<std::string, SymbolId> ids;
    for (std::size_t i = 0; i < out.vocab.size(); ++i)
        ids.emplace(out.vocab[i], static_cast<SymbolId>(i));
    const tok::ByteLevelMap &map = tok::ByteLevelMap::instance();
    for (int byte = 0; byte < 256; ++byte) {
        std::string token;
        const char c = static_cast<char>(byte);
        map.encode(std::string_view(&c, 1), token);
        ids.emplace(token, static_cast<SymbolId>(out.vocab.size()));
        out.vocab.push_back(token);
    }

    // Sorted words, so the symbol-level state does not depend on hash order.
    std::vector<std::pair<std::string, std::int64_t>> sorted(m_impl->wordCounts.begin(), m_impl->wordCounts.end());
    std::sort(sorted.begin(), sorted.end());
    std::vector<Word> words;
    words.reserve(sorted.size());
    for (const auto &[text, count] : sorted) {
        Word word;
        word.count = count;
        for (const std::string &c : utf8Chars(text))
            word.symbols.push_back(ids.at(c));
        words.push_back(std::move(word));
    }

    MergeState state(std::move(words));
    const std::size_t target = m_impl->options.vocabSize;
    const std::size_t targetMerges = target - out.vocab.size();
    while (out.vocab.size() < target) {
        const Candidate best = state.best();
        if (best.count < m_impl->options.minFrequency)
            break;
        const std::string &left = out.vocab[static_cast<std::size_t>(leftOf(best.pair))];
        const std::string &right = out.vocab[static_cast<std::size_t>(rightOf(best.pair))];
        std::string token = left + right;
        out.merges.emplace_back(left, right);
        auto [it, fresh] = ids.emplace(token, static_cast<SymbolId>(out.vocab.size()));
        if (fresh)
            out.vocab.push_back(std::move(token));
        state.apply(best.pair, it->second);
        if (progress && (out.merges.size() % 256) == 1 && !progress(out.merges.size(), targetMerges))
            return std::nullopt;
    }
    return out;
}

std::string TrainedBpe::toTokenizerJson() const
{
    using Json = nlohmann::ordered_json;
    Json added = Json::array();
    for (std::size_t i = 0; i < specialTokens.size(); ++i)
        added.push_back({ { "id", i }, { "content", specialTokens[i] }, { "single_word", false }, { "lstrip", false },
            { "rstrip", false }, { "normalized", false }, { "special", true } });
    Json vocabJson = Json::object();
    for (std::size_t i = 0; i < vocab.size(); ++i)
        vocabJson[vocab[i]] = i;
    Json mergesJson = Json::array();
    for (const auto &[left, right] : merges)
        mergesJson.push_back(left + " " + right);
    const Json byteLevel
        = { { "type", "ByteLevel" }, { "add_prefix_space", false }, { "trim_offsets", true }, { "use_regex", true } };
    Json j = Json::object();
    j["version"] = "1.0";
    j["truncation"] = nullptr;
    j["padding"] = nullptr;
    j["added_tokens"] = added;
    j["normalizer"] = nullptr;
    j["pre_tokenizer"] = byteLevel;
    j["post_processor"] = byteLevel;
    j["decoder"] = byteLevel;
    j["model"] = { { "type", "BPE" }, { "dropout", nullptr }, { "unk_token", nullptr },
        { "continuing_subword_prefix", nullptr }, { "end_of_word_suffix", nullptr }, { "fuse_unk", false },
        { "byte_fallback", false }, { "ignore_merges", false }, { "vocab", vocabJson }, { "merges", mergesJson } };
    return j.dump();
}

} // namespace engine

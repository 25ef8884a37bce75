// The BPE model of tokenizer.json (and of GPT-2's vocab.json + merges.txt):
// vocabulary, ranked merges, unk / fuse_unk, byte_fallback (<0xHH> tokens),
// continuing_subword_prefix / end_of_word_suffix and ignore_merges. Encodes
// one pre-tokenized word at a time, merging the lowest-ranked pair first
// (leftmost on ties) exactly like tokenizers' Word::merge_all, with a bounded
// per-word cache. Thread-safe for concurrent encodeWord calls.
#pragma once

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/wordcache.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace engine::tok {

struct BpeOptions
{
    std::optional<std::string> unkToken; // token for characters that are not in the vocabulary
    std::string continuingSubwordPrefix; // prefixed to every character but the first ("" = none)
    std::string endOfWordSuffix;         // appended to the last character ("" = none)
    bool fuseUnk = false;                // consecutive unknown characters become one unk
    bool byteFallback = false;           // unknown characters become <0xHH> byte tokens
    bool ignoreMerges = false;           // a word that is itself in the vocabulary is one token
};

class BpeModel
{
public:
    using Merge = std::pair<std::string, std::string>;
    // Throws engine::Error naming `context` if a merge refers to tokens that are not in the vocabulary.
    BpeModel(const std::vector<std::pair<std::string, TokenId>> &vocab, const std::vector<Merge> &merges,
             BpeOptions options, const std::string &context);

    // Appends the ids of one word.
    void encodeWord(std::string_view word, std::vector<TokenId> &out) const;

    std::optional<TokenId> tokenToId(std::string_view token) const;
    std::string_view idToToken(TokenId id) const; // empty if the id has no token
    bool hasId(TokenId id) const;
    std::size_t idLimit() const { return m_spans.size(); } // largest id + 1
    const BpeOptions &options() const { return m_options; }

private:
    struct Span
    {
        std::uint32_t offset = 0;
        std::int32_t length = -1; // -1: no token has this id
    };
    struct MergeTarget
    {
        std::uint32_t rank;
        TokenId id;
    };
    static std::uint64_t pairKey(TokenId a, TokenId b)
    {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
    }

    void encodePiece(std::string_view word, std::vector<TokenId> &out) const;
    bool canSplitAtWordMarks() const;
    void mergeWord(std::string_view word, std::vector<TokenId> &out) const;
    void initialSymbols(std::string_view word, std::vector<TokenId> &ids, std::vector<std::uint32_t> &lengths) const;
    void mergeAll(std::vector<TokenId> &ids, std::vector<std::uint32_t> &lengths) const;

    BpeOptions m_options;
    std::string m_arena;                                   // all token strings, back to back
    std::vector<Span> m_spans;                             // id -> token in m_arena
    std::unordered_map<std::string_view, TokenId> m_ids;   // views into m_arena
    std::unordered_map<std::uint64_t, MergeTarget> m_merges; // (left id, right id) -> rank, merged id
    std::optional<TokenId> m_unkId;
    TokenId m_byteIds[256];                                // <0xHH> ids, -1 if absent

    mutable WordCache m_cache; // word -> ids, bounded
    // SentencePiece-style vocabularies (no pre-tokenizer, so a "word" is a
    // whole segment): when no token joins anything to a following "▁", a word
    // is encoded piece by piece, each piece starting at a run of "▁".
    bool m_splitAtWordMarks = false;
};

} // namespace engine::tok

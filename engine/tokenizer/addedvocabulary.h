// Added and special tokens ("added_tokens" of tokenizer.json): finds them in
// text with leftmost-longest matching and applies single_word, lstrip and
// rstrip as tokenizers' added_vocabulary.rs does. Tokens with normalized=false
// are matched in the raw text, the others in normalized text. Does not encode
// the text between matches; HfTokenizer does.
#pragma once

#include "engine/tokenizer/tokenizer.h"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace engine::tok {

class Normalizer;

struct AddedToken
{
    std::string content;
    TokenId id = 0;
    bool singleWord = false; // match only between non-alphanumeric characters
    bool lstrip = false;     // the match absorbs whitespace on its left
    bool rstrip = false;     // the match absorbs whitespace on its right
    bool normalized = false; // matched in normalized text (else in the raw text)
    bool special = false;    // skipped by decode(skipSpecial) and by encode(parseSpecial = false)
};

// A piece of text: either an added token (id >= 0) or plain text (id == -1).
struct TextPiece
{
    std::size_t begin;
    std::size_t end;
    TokenId id;
};

class AddedVocabulary
{
public:
    AddedVocabulary() = default;
    // normalizer (may be null) is applied to the content of normalized tokens.
    AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer *normalizer);

    // Cuts text into pieces; normalizedSet chooses the tokens with normalized=true.
    // includeSpecial=false ignores special tokens (they stay plain text).
    void split(std::string_view text, bool normalizedSet, bool includeSpecial, std::vector<TextPiece> &out) const;

    const AddedToken *byId(TokenId id) const;
    const AddedToken *byContent(std::string_view content) const;
    bool isSpecialContent(std::string_view content) const;
    TokenId idLimit() const { return m_idLimit; }
    bool empty() const { return m_tokens.empty(); }

private:
    struct MatchSet
    {
        std::vector<std::string> patterns;          // what to look for (normalized content for the normalized set)
        std::vector<std::size_t> tokenIndex;        // pattern -> index in m_tokens
        std::vector<std::vector<std::size_t>> byFirstByte = std::vector<std::vector<std::size_t>>(256);
    };
    void addPattern(MatchSet &set, std::string pattern, std::size_t tokenIndex);
    std::optional<std::pair<std::size_t, std::size_t>> longestAt(const MatchSet &set, std::string_view text,
                                                                 std::size_t pos, bool includeSpecial) const;

    std::vector<AddedToken> m_tokens;
    std::unordered_map<TokenId, std::size_t> m_byId;
    std::unordered_map<std::string, std::size_t> m_byContent;
    MatchSet m_raw;
    MatchSet m_normalized;
    TokenId m_idLimit = 0;
};

} // namespace engine::tok

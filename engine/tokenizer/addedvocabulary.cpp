// Matching of added tokens (see addedvocabulary.h). Leftmost-longest: at the
// first position where any token matches, the longest one wins; a single_word
// token that is not on word boundaries is skipped (the text it covered stays
// plain text), as with tokenizers' Aho-Corasick search.
#include "engine/tokenizer/addedvocabulary.h"

#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/utf8.h"

#include <algorithm>

namespace engine::tok {
namespace {

// The code point that ends text[0, end) (text is valid UTF-8, end > 0).
char32_t codePointBefore(std::string_view text, std::size_t end)
{
    std::size_t begin = end - 1;
    while (begin > 0 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80)
        --begin;
    return nextCodePoint(text, begin);
}

// The start of the whitespace run that ends at `end`.
std::size_t whitespaceStartBefore(std::string_view text, std::size_t end)
{
    while (end > 0) {
        std::size_t begin = end - 1;
        while (begin > 0 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80)
            --begin;
        std::size_t pos = begin;
        if (!isUnicodeWhitespace(nextCodePoint(text, pos)))
            break;
        end = begin;
    }
    return end;
}

// The end of the whitespace run that starts at `begin`.
std::size_t whitespaceEndAfter(std::string_view text, std::size_t begin)
{
    while (begin < text.size()) {
        std::size_t pos = begin;
        if (!isUnicodeWhitespace(nextCodePoint(text, pos)))
            break;
        begin = pos;
    }
    return begin;
}

} // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer *normalizer)
    : m_tokens(std::move(tokens))
{
    for (std::size_t i = 0; i < m_tokens.size(); ++i) {
        const AddedToken &token = m_tokens[i];
        m_byId[token.id] = i;
        m_byContent[token.content] = i;
        m_idLimit = std::max(m_idLimit, token.id + 1);
        if (token.content.empty())
            continue;
        if (!token.normalized) {
            addPattern(m_raw, token.content, i);
            continue;
        }
        std::string pattern = token.content;
        if (normalizer)
            normalizer->normalize(pattern);
        if (!pattern.empty())
            addPattern(m_normalized, std::move(pattern), i);
    }
    for (MatchSet *set : {&m_raw, &m_normalized})
        for (auto &candidates : set->byFirstByte)
            std::stable_sort(candidates.begin(), candidates.end(), [set](std::size_t a, std::size_t b) {
                return set->patterns[a].size() > set->patterns[b].size();
            });
}

void AddedVocabulary::addPattern(MatchSet &set, std::string pattern, std::size_t tokenIndex)
{
    set.byFirstByte[static_cast<unsigned char>(pattern[0])].push_back(set.patterns.size());
    set.patterns.push_back(std::move(pattern));
    set.tokenIndex.push_back(tokenIndex);
}

std::optional<std::pair<std::size_t, std::size_t>> AddedVocabulary::longestAt(const MatchSet &set, std::string_view text,
                                                                              std::size_t pos, bool includeSpecial) const
{
    for (const std::size_t p : set.byFirstByte[static_cast<unsigned char>(text[pos])]) {
        const std::string &pattern = set.patterns[p];
        if (text.compare(pos, pattern.size(), pattern) != 0)
            continue;
        if (!includeSpecial && m_tokens[set.tokenIndex[p]].special)
            continue;
        return std::make_pair(set.tokenIndex[p], pattern.size());
    }
    return std::nullopt;
}

void AddedVocabulary::split(std::string_view text, bool normalizedSet, bool includeSpecial,
                            std::vector<TextPiece> &out) const
{
    const MatchSet &set = normalizedSet ? m_normalized : m_raw;
    std::size_t emitted = 0; // text before this offset is already in out
    std::size_t pos = 0;
    while (!set.patterns.empty() && pos < text.size()) {
        const auto match = set.byFirstByte[static_cast<unsigned char>(text[pos])].empty()
            ? std::nullopt
            : longestAt(set, text, pos, includeSpecial);
        if (!match) {
            ++pos;
            continue;
        }
        const AddedToken &token = m_tokens[match->first];
        std::size_t begin = pos;
        std::size_t end = pos + match->second;
        pos = end;
        if (token.singleWord) {
            const bool wordBefore = begin > 0 && isUnicodeAlphanumeric(codePointBefore(text, begin));
            std::size_t after = end;
            const bool wordAfter = end < text.size() && isUnicodeAlphanumeric(nextCodePoint(text, after));
            if (wordBefore || wordAfter)
                continue;
        }
        if (token.lstrip)
            begin = std::max(whitespaceStartBefore(text, begin), emitted);
        if (token.rstrip)
            end = whitespaceEndAfter(text, end);
        if (emitted < begin)
            out.push_back({emitted, begin, -1});
        out.push_back({begin, end, token.id});
        emitted = end;
        pos = std::max(pos, end);
    }
    if (emitted < text.size())
        out.push_back({emitted, text.size(), -1});
}

const AddedToken *AddedVocabulary::byId(TokenId id) const
{
    const auto it = m_byId.find(id);
    return it == m_byId.end() ? nullptr : &m_tokens[it->second];
}

const AddedToken *AddedVocabulary::byContent(std::string_view content) const
{
    const auto it = m_byContent.find(std::string(content));
    return it == m_byContent.end() ? nullptr : &m_tokens[it->second];
}

bool AddedVocabulary::isSpecialContent(std::string_view content) const
{
    const AddedToken *token = byContent(content);
    return token && token->special;
}

} // namespace engine::tok

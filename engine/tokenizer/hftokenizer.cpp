// The tokenizer.json pipeline (see hftokenizer.h), in the order of tokenizers'
// TokenizerImpl::encode_single_sequence and decode.
#include "engine/tokenizer/hftokenizer.h"

#include "engine/tokenizer/utf8.h"

#include <algorithm>

namespace engine::tok {

HfTokenizer::HfTokenizer(HfTokenizerParts parts)
    : m_parts(std::move(parts)), m_added(m_parts.addedTokens, m_parts.normalizer.get())
{
}

std::vector<TokenId> HfTokenizer::encode(std::string_view text, bool addSpecial, bool parseSpecial) const
{
    requireUtf8(text, "text to tokenize");
    std::vector<TokenId> ids;
    ids.reserve(text.size() / 3 + 4);
    std::vector<TextPiece> rawPieces;
    m_added.split(text, false, parseSpecial, rawPieces);
    std::string normalized;
    std::vector<TextPiece> pieces;
    for (const TextPiece &raw : rawPieces) {
        if (raw.id >= 0) {
            ids.push_back(raw.id);
            continue;
        }
        normalized.assign(text.substr(raw.begin, raw.end - raw.begin));
        if (m_parts.normalizer)
            m_parts.normalizer->normalize(normalized);
        pieces.clear();
        m_added.split(normalized, true, parseSpecial, pieces);
        for (const TextPiece &piece : pieces) {
            if (piece.id >= 0)
                ids.push_back(piece.id);
            else
                encodeNormalizedPiece(std::string_view(normalized).substr(piece.begin, piece.end - piece.begin),
                                      raw.begin == 0 && piece.begin == 0, ids);
        }
    }
    if (addSpecial)
        m_parts.post.apply(ids);
    return ids;
}

void HfTokenizer::encodeNormalizedPiece(std::string_view piece, bool atOrigin, std::vector<TokenId> &out) const
{
    if (piece.empty())
        return;
    if (!m_parts.preTokenizer) {
        m_parts.model->encodeWord(piece, out);
        return;
    }
    m_parts.preTokenizer->split(piece, atOrigin,
                                [&](std::string_view word, bool) { m_parts.model->encodeWord(word, out); });
}

std::string HfTokenizer::decode(const std::vector<TokenId> &ids, bool skipSpecial) const
{
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (const TokenId id : ids) {
        std::string_view token;
        if (const AddedToken *added = m_added.byId(id))
            token = added->content;
        else
            token = m_parts.model->idToToken(id);
        if (token.empty() && !m_parts.model->hasId(id) && !m_added.byId(id))
            continue; // unknown id: skipped, as tokenizers does
        if (skipSpecial && m_added.isSpecialContent(token))
            continue;
        tokens.emplace_back(token);
    }
    if (m_parts.decoder)
        return m_parts.decoder->decode(std::move(tokens));
    std::string text;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i > 0)
            text += ' ';
        text += tokens[i];
    }
    return text;
}

std::size_t HfTokenizer::vocabSize() const
{
    return std::max(m_parts.model->idLimit(), static_cast<std::size_t>(m_added.idLimit()));
}

std::optional<TokenId> HfTokenizer::tokenToId(std::string_view token) const
{
    if (const AddedToken *added = m_added.byContent(token))
        return added->id;
    return m_parts.model->tokenToId(token);
}

std::string HfTokenizer::idToToken(TokenId id) const
{
    if (const AddedToken *added = m_added.byId(id))
        return added->content;
    return std::string(m_parts.model->idToToken(id));
}

bool HfTokenizer::isSpecial(TokenId id) const
{
    const AddedToken *added = m_added.byId(id);
    return added && added->special;
}

} // namespace engine::tok

// Streaming decode (see streamdecoder.h). The window keeps the last emitted
// ids as context, so decoders that treat the first token specially (Strip,
// Metaspace) see the same neighbours as a full decode. Text is held back while
// it ends in U+FFFD (an unfinished UTF-8 character), but at most
// kMaxPendingIds ids, after which the replacement character is genuine.
#include "engine/tokenizer/streamdecoder.h"

#include "engine/tokenizer/utf8.h"

namespace engine {
namespace {

constexpr std::size_t kMaxPendingIds = 8; // a UTF-8 character has at most 4 bytes = 4 byte tokens

} // namespace

StreamDecoder::StreamDecoder(const Tokenizer &tokenizer, bool skipSpecial)
    : m_tokenizer(tokenizer), m_skipSpecial(skipSpecial)
{
}

std::string StreamDecoder::push(TokenId id)
{
    m_ids.push_back(id);
    const std::string text = m_tokenizer.decode(m_ids, m_skipSpecial);
    const bool pendingTooLong = m_ids.size() - m_prefixIds > kMaxPendingIds;
    const bool grew = text.size() > m_prefixText.size() && text.compare(0, m_prefixText.size(), m_prefixText) == 0;
    if (!grew || (tok::endsWithReplacementChar(text) && !pendingTooLong))
        return {};
    std::string fresh = text.substr(m_prefixText.size());
    // Keep the newly emitted ids as the context of the next window.
    m_ids.erase(m_ids.begin(), m_ids.begin() + static_cast<std::ptrdiff_t>(m_prefixIds));
    m_prefixIds = m_ids.size();
    m_prefixText = m_tokenizer.decode(m_ids, m_skipSpecial);
    return fresh;
}

std::string StreamDecoder::finish()
{
    const std::string text = m_tokenizer.decode(m_ids, m_skipSpecial);
    std::string rest = text.size() > m_prefixText.size() && text.compare(0, m_prefixText.size(), m_prefixText) == 0
        ? text.substr(m_prefixText.size())
        : std::string();
    reset();
    return rest;
}

void StreamDecoder::reset()
{
    m_ids.clear();
    m_prefixIds = 0;
    m_prefixText.clear();
}

} // namespace engine

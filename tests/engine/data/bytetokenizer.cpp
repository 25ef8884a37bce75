// ByteTokenizer: byte ids plus longest-listed special strings.
#include "bytetokenizer.h"

#include <stdexcept>

namespace test {

const std::vector<std::string> &ByteTokenizer::specialStrings()
{
    static const std::vector<std::string> strings = { "<|im_start|>", "<|im_end|>", "<s>", "</s>", "<|begin_of_text|>",
        "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|endoftext|>", "<pad>" };
    return strings;
}

engine::TokenId ByteTokenizer::idOf(const std::string &special)
{
    const auto &s = specialStrings();
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == special)
            return static_cast<engine::TokenId>(256 + i);
    throw std::logic_error("not a special token: " + special);
}

ByteTokenizer::ByteTokenizer(const std::string &bosText, const std::string &eosText, bool addBos)
{
    if (!bosText.empty()) {
        m_special.bos = idOf(bosText);
        m_special.bosText = bosText;
    }
    m_special.eos = idOf(eosText);
    m_special.eosText = eosText;
    m_special.pad = idOf("<pad>");
    m_special.padText = "<pad>";
    m_special.addBos = addBos;
    m_special.stopIds = { *m_special.eos };
}

std::vector<engine::TokenId> ByteTokenizer::encode(std::string_view text, bool addSpecial, bool parseSpecial) const
{
    std::vector<engine::TokenId> ids;
    ids.reserve(text.size() + 1);
    if (addSpecial && m_special.addBos && m_special.bos)
        ids.push_back(*m_special.bos);
    const auto &specials = specialStrings();
    for (std::size_t i = 0; i < text.size();) {
        bool matched = false;
        if (parseSpecial && text[i] == '<') {
            for (std::size_t s = 0; s < specials.size() && !matched; ++s) {
                if (text.compare(i, specials[s].size(), specials[s]) == 0) {
                    ids.push_back(static_cast<engine::TokenId>(256 + s));
                    i += specials[s].size();
                    matched = true;
                }
            }
        }
        if (!matched)
            ids.push_back(static_cast<unsigned char>(text[i++]));
    }
    return ids;
}

std::string ByteTokenizer::decode(const std::vector<engine::TokenId> &ids, bool skipSpecial) const
{
    std::string text;
    for (const engine::TokenId id : ids) {
        if (id < 256)
            text.push_back(static_cast<char>(id));
        else if (!skipSpecial)
            text += idToToken(id);
    }
    return text;
}

std::size_t ByteTokenizer::vocabSize() const
{
    return 256 + specialStrings().size();
}

std::optional<engine::TokenId> ByteTokenizer::tokenToId(std::string_view token) const
{
    const auto &s = specialStrings();
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == token)
            return static_cast<engine::TokenId>(256 + i);
    if (token.size() == 1)
        return static_cast<unsigned char>(token[0]);
    return std::nullopt;
}

std::string ByteTokenizer::idToToken(engine::TokenId id) const
{
    if (id >= 0 && id < 256)
        return std::string(1, static_cast<char>(id));
    const auto index = static_cast<std::size_t>(id - 256);
    return index < specialStrings().size() ? specialStrings()[index] : std::string();
}

} // namespace test

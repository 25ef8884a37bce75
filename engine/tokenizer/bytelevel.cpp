// The GPT-2 byte <-> character map (see bytelevel.h).
#include "engine/tokenizer/bytelevel.h"

#include "engine/tokenizer/utf8.h"

namespace engine::tok {

const ByteLevelMap &ByteLevelMap::instance()
{
    static const ByteLevelMap map;
    return map;
}

ByteLevelMap::ByteLevelMap()
{
    for (std::int16_t &b : m_byteOf)
        b = -1;
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        const char32_t c = printable ? static_cast<char32_t>(b) : next++;
        appendUtf8(m_encoded[b], c);
        m_byteOf[c] = static_cast<std::int16_t>(b);
    }
}

void ByteLevelMap::encode(std::string_view bytes, std::string &out) const
{
    for (const char ch : bytes)
        out += m_encoded[static_cast<unsigned char>(ch)];
}

void ByteLevelMap::decodeToken(std::string_view token, std::string &out) const
{
    const std::size_t start = out.size();
    std::size_t pos = 0;
    while (pos < token.size()) {
        const char32_t c = nextCodePoint(token, pos);
        if (c >= 0x144 || m_byteOf[c] < 0) {
            out.resize(start);
            out.append(token);
            return;
        }
        out += static_cast<char>(static_cast<unsigned char>(m_byteOf[c]));
    }
}

} // namespace engine::tok

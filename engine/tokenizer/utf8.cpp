// UTF-8 validation, iteration and lossy decoding for the tokenizer (see utf8.h).
// Lossy decoding follows the "maximal subpart" rule of Unicode §3.9, which is
// what Rust's from_utf8_lossy implements, so decoded text matches HF tokenizers.
#include "engine/tokenizer/utf8.h"

#include "engine/core/status.h"

#include <utf8proc.h>

namespace engine::tok {
namespace {

// Length of the valid sequence at bytes[pos], or 0 with `consumed` set to the
// length of the maximal invalid subpart (at least 1).
std::size_t validSequenceAt(std::string_view bytes, std::size_t pos, std::size_t &consumed)
{
    const auto byteAt = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    const unsigned char lead = byteAt(pos);
    consumed = 1;
    if (lead < 0x80)
        return 1;
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;
        high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;
        high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    for (std::size_t k = 1; k < length; ++k) {
        if (pos + k >= bytes.size())
            return 0;
        const unsigned char b = byteAt(pos + k);
        const unsigned char lo = k == 1 ? low : 0x80;
        const unsigned char hi = k == 1 ? high : 0xBF;
        if (b < lo || b > hi)
            return 0;
        consumed = k + 1;
    }
    return length;
}

} // namespace

std::size_t findInvalidUtf8(std::string_view text)
{
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (static_cast<unsigned char>(text[pos]) < 0x80) {
            ++pos;
            continue;
        }
        std::size_t consumed = 0;
        const std::size_t length = validSequenceAt(text, pos, consumed);
        if (length == 0)
            return pos;
        pos += length;
    }
    return kValidUtf8;
}

void requireUtf8(std::string_view text, std::string_view what)
{
    const std::size_t bad = findInvalidUtf8(text);
    if (bad != kValidUtf8)
        throw Error(std::string(what) + " is not valid UTF-8: invalid byte 0x"
                    + "0123456789ABCDEF"[static_cast<unsigned char>(text[bad]) >> 4]
                    + "0123456789ABCDEF"[static_cast<unsigned char>(text[bad]) & 15] + " at byte offset "
                    + std::to_string(bad) + " (hint: convert the text to UTF-8 first)");
}

char32_t nextCodePoint(std::string_view text, std::size_t &pos)
{
    const auto b = [&](std::size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(text[i])); };
    const char32_t lead = b(pos);
    const std::size_t length = utf8SequenceLength(static_cast<unsigned char>(lead));
    char32_t c = 0;
    switch (length) {
    case 1: c = lead; break;
    case 2: c = ((lead & 0x1F) << 6) | (b(pos + 1) & 0x3F); break;
    case 3: c = ((lead & 0x0F) << 12) | ((b(pos + 1) & 0x3F) << 6) | (b(pos + 2) & 0x3F); break;
    default:
        c = ((lead & 0x07) << 18) | ((b(pos + 1) & 0x3F) << 12) | ((b(pos + 2) & 0x3F) << 6) | (b(pos + 3) & 0x3F);
    }
    pos += length;
    return c;
}

void appendUtf8(std::string &out, char32_t c)
{
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

std::string lossyUtf8(std::string_view bytes)
{
    if (findInvalidUtf8(bytes) == kValidUtf8)
        return std::string(bytes);
    std::string out;
    out.reserve(bytes.size() + 8);
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        std::size_t consumed = 0;
        const std::size_t length = validSequenceAt(bytes, pos, consumed);
        if (length == 0) {
            out += "\xEF\xBF\xBD";
            pos += consumed;
        } else {
            out.append(bytes.substr(pos, length));
            pos += length;
        }
    }
    return out;
}

bool endsWithReplacementChar(std::string_view text)
{
    return text.size() >= 3 && text.substr(text.size() - 3) == "\xEF\xBF\xBD";
}

bool isUnicodeWhitespace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
        || c == 0x3000;
}

bool isUnicodeAlphanumeric(char32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return true;
    default:
        return false;
    }
}

} // namespace engine::tok

// The GPT-2 byte <-> printable character map used by byte-level BPE (the
// ByteLevel pre-tokenizer and decoder): 188 printable bytes map to the code
// point of the same value, the other 68 to U+0100..U+0143 in byte order.
// Only the mapping; splitting lives in the pre-tokenizers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace engine::tok {

class ByteLevelMap
{
public:
    static const ByteLevelMap &instance();

    // Appends the mapped form of every byte of `bytes` to out.
    void encode(std::string_view bytes, std::string &out) const;
    // Appends the bytes a mapped token stands for. If any character of the token
    // is outside the map, the token's own bytes are appended instead (as HF does).
    void decodeToken(std::string_view token, std::string &out) const;

private:
    ByteLevelMap();
    std::string m_encoded[256]; // UTF-8 of the character for each byte
    std::int16_t m_byteOf[0x144]; // code point -> byte, -1 if the code point is not in the map
};

} // namespace engine::tok

// UTF-8 helpers for the tokenizer: validation with the offending byte offset,
// code point iteration, lossy decoding that matches Rust's
// String::from_utf8_lossy (one U+FFFD per maximal invalid subpart), and the
// Unicode predicates Hugging Face tokenizers uses (char::is_whitespace,
// char::is_alphanumeric). Does not normalise; see normalizer.h.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace engine::tok {

constexpr std::size_t kValidUtf8 = std::string_view::npos;

// Returns kValidUtf8, or the byte offset of the first byte that starts an invalid sequence.
std::size_t findInvalidUtf8(std::string_view text);

// Throws engine::Error naming the byte offset if text is not valid UTF-8.
void requireUtf8(std::string_view text, std::string_view what);

// Length in bytes of the (valid) UTF-8 sequence whose lead byte is `lead`.
inline std::size_t utf8SequenceLength(unsigned char lead)
{
    return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// Decodes the code point at text[pos] (text must be valid UTF-8) and advances pos.
char32_t nextCodePoint(std::string_view text, std::size_t &pos);

void appendUtf8(std::string &out, char32_t codePoint);

// Bytes to text, replacing every maximal invalid subpart with U+FFFD.
std::string lossyUtf8(std::string_view bytes);

// Whether text ends with U+FFFD.
bool endsWithReplacementChar(std::string_view text);

bool isUnicodeWhitespace(char32_t c);   // Rust char::is_whitespace (White_Space property)
bool isUnicodeAlphanumeric(char32_t c); // letters and numbers (general categories L* and N*)

} // namespace engine::tok

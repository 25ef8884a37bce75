// UTF-8 validation for dataset text: the offset of the first invalid byte, so
// messages can say where on the line the problem is. Rejects overlong forms,
// surrogates and code points above U+10FFFF (as Python's strict decoder does).
// Does not decode or normalise.
#pragma once

#include <cstddef>
#include <string_view>

namespace engine::data {

constexpr std::size_t kValidUtf8 = static_cast<std::size_t>(-1);

// Byte offset of the first invalid sequence in `text`, or kValidUtf8.
std::size_t firstInvalidUtf8(std::string_view text);

} // namespace engine::data

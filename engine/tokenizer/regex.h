// A compiled PCRE2 pattern in UTF + UCP mode (\p{L}, \s and \w are Unicode
// aware, as in the Oniguruma patterns of tokenizer.json), JIT-compiled when
// the library supports it. Used by the Split pre-tokenizer and the Replace
// normalizer. Subjects must be valid UTF-8 (the tokenizer checks input first).
// Thread-safe: match state is per call.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace engine::tok {

class Regex
{
public:
    // Throws engine::Error naming `context` and the PCRE2 message if the pattern does not compile.
    Regex(const std::string &pattern, const std::string &context);
    ~Regex();
    Regex(const Regex &) = delete;
    Regex &operator=(const Regex &) = delete;

    using Span = std::pair<std::size_t, std::size_t>; // [begin, end) byte offsets

    // Appends every non-empty, non-overlapping match, left to right.
    void findAll(std::string_view subject, std::vector<Span> &out) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace engine::tok

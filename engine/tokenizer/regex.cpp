// PCRE2 wrapper (see regex.h). Falls back from JIT to the interpreter when the
// JIT stack is too small for a very long subject.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/tokenizer/regex.h"

#include "engine/core/status.h"
#include "engine/tokenizer/utf8.h"

#include <pcre2.h>

#include <cstdint>

namespace engine::tok {

struct Regex::Impl
{
    pcre2_code *code = nullptr;
    bool jit = false;
};

Regex::Regex(const std::string &pattern, const std::string &context) : m_impl(std::make_unique<Impl>())
{
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    m_impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_UTF | PCRE2_UCP, &errorCode, &errorOffset, nullptr);
    if (!m_impl->code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(errorCode, message, sizeof message);
        throw Error(context + ": regex pattern does not compile at offset " + std::to_string(errorOffset) + ": "
                    + reinterpret_cast<const char *>(message) + " (hint: the pattern must be a valid Unicode regex)");
    }
    m_impl->jit = pcre2_jit_compile(m_impl->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex()
{
    pcre2_code_free(m_impl->code);
}

void Regex::findAll(std::string_view subject, std::vector<Span> &out) const
{
    pcre2_match_data *data = pcre2_match_data_create_from_pattern(m_impl->code, nullptr);
    if (!data)
        throw std::bad_alloc();
    const auto *begin = reinterpret_cast<PCRE2_SPTR>(subject.data());
    std::size_t start = 0;
    std::uint32_t options = PCRE2_NO_UTF_CHECK | (m_impl->jit ? 0u : PCRE2_NO_JIT);
    while (start <= subject.size()) {
        int rc = pcre2_match(m_impl->code, begin, subject.size(), start, options, data, nullptr);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
            options |= PCRE2_NO_JIT;
            rc = pcre2_match(m_impl->code, begin, subject.size(), start, options, data, nullptr);
        }
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            pcre2_match_data_free(data);
            throw Error("regex match failed with PCRE2 error " + std::to_string(rc)
                        + " (hint: the input may be too long for the pattern; split it into lines)");
        }
        const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(data);
        const std::size_t matchBegin = ovector[0];
        const std::size_t matchEnd = ovector[1];
        if (matchEnd > matchBegin) {
            out.emplace_back(matchBegin, matchEnd);
            start = matchEnd;
        } else if (matchEnd < subject.size()) {
            start = matchEnd + utf8SequenceLength(static_cast<unsigned char>(subject[matchEnd]));
        } else {
            break;
        }
    }
    pcre2_match_data_free(data);
}

} // namespace engine::tok

// The normalizers of tokenizer.json (see normalizer.h). Unicode forms and
// lowercasing come from utf8proc; lowercasing is the simple per-character
// mapping (Rust's to_lowercase also applies the few one-to-many mappings).
#include "engine/tokenizer/normalizer.h"

#include "engine/core/status.h"
#include "engine/tokenizer/regex.h"
#include "engine/tokenizer/utf8.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace engine::tok {
namespace {

bool isAscii(const std::string &text)
{
    for (const char c : text)
        if (static_cast<unsigned char>(c) >= 0x80)
            return false;
    return true;
}

// NFC leaves text alone when every code point is below U+0300 (no combining
// marks yet, no singleton decompositions) or a CJK unified ideograph
// (U+4E00..U+9FFF: no decomposition, nothing composes with them): the quick
// check of UAX #15 on the two ranges most text lives in. test_tokenizer
// checks the ranges against utf8proc.
bool isNfcQuick(const std::string &text)
{
    for (std::size_t pos = 0; pos < text.size();) {
        const char32_t c = nextCodePoint(text, pos);
        if (c >= 0x300 && (c < 0x4E00 || c > 0x9FFF))
            return false;
    }
    return true;
}

class UnicodeForm : public Normalizer
{
public:
    explicit UnicodeForm(int options) : m_options(options) {}
    void normalize(std::string &text) const override
    {
        if (text.empty() || isAscii(text))
            return;
        if (m_options == (UTF8PROC_STABLE | UTF8PROC_COMPOSE) && isNfcQuick(text))
            return;
        utf8proc_uint8_t *result = nullptr;
        const utf8proc_ssize_t length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t *>(text.data()),
                                                     static_cast<utf8proc_ssize_t>(text.size()), &result,
                                                     static_cast<utf8proc_option_t>(m_options));
        if (length < 0)
            throw Error(std::string("Unicode normalization failed: ") + utf8proc_errmsg(length));
        text.assign(reinterpret_cast<const char *>(result), static_cast<std::size_t>(length));
        std::free(result);
    }

private:
    int m_options;
};

class Lowercase : public Normalizer
{
public:
    void normalize(std::string &text) const override
    {
        if (isAscii(text)) {
            for (char &c : text)
                if (c >= 'A' && c <= 'Z')
                    c = static_cast<char>(c - 'A' + 'a');
            return;
        }
        std::string out;
        out.reserve(text.size());
        std::size_t pos = 0;
        while (pos < text.size())
            appendUtf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(nextCodePoint(text, pos)))));
        text.swap(out);
    }
};

class Strip : public Normalizer
{
public:
    Strip(bool left, bool right) : m_left(left), m_right(right) {}
    void normalize(std::string &text) const override
    {
        std::size_t firstKept = text.size(); // start of the first non-whitespace character
        std::size_t lastKeptEnd = 0;         // end of the last non-whitespace character
        std::size_t pos = 0;
        while (pos < text.size()) {
            const std::size_t start = pos;
            if (!isUnicodeWhitespace(nextCodePoint(text, pos))) {
                firstKept = std::min(firstKept, start);
                lastKeptEnd = pos;
            }
        }
        if (firstKept == text.size()) { // only whitespace
            if (m_left || m_right)
                text.clear();
            return;
        }
        const std::size_t begin = m_left ? firstKept : 0;
        const std::size_t end = m_right ? lastKeptEnd : text.size();
        text = text.substr(begin, end - begin);
    }

private:
    bool m_left;
    bool m_right;
};

class Replace : public Normalizer
{
public:
    Replace(const Json &j, const std::string &context)
    {
        const Json &pattern = requireMember(j, "pattern", context);
        m_content = requireString(j, "content", context);
        if (pattern.contains("String")) {
            m_literal = requireString(pattern, "String", context + ".pattern");
            if (m_literal.empty())
                failField(context + ".pattern.String", "the pattern is empty");
        } else if (pattern.contains("Regex")) {
            m_regex = std::make_unique<Regex>(requireString(pattern, "Regex", context + ".pattern"), context);
        } else {
            failField(context + ".pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
        }
    }
    void normalize(std::string &text) const override
    {
        if (!m_regex) {
            replaceAll(text, m_literal, m_content);
            return;
        }
        std::vector<Regex::Span> spans;
        m_regex->findAll(text, spans);
        if (spans.empty())
            return;
        std::string out;
        std::size_t last = 0;
        for (const auto &[begin, end] : spans) {
            out.append(text, last, begin - last);
            out += m_content;
            last = end;
        }
        out.append(text, last, std::string::npos);
        text.swap(out);
    }

private:
    std::string m_literal;
    std::unique_ptr<Regex> m_regex;
    std::string m_content;
};

class Prepend : public Normalizer
{
public:
    explicit Prepend(std::string prefix) : m_prefix(std::move(prefix)) {}
    void normalize(std::string &text) const override
    {
        if (!text.empty())
            text.insert(0, m_prefix);
    }

private:
    std::string m_prefix;
};

class Sequence : public Normalizer
{
public:
    explicit Sequence(std::vector<std::unique_ptr<Normalizer>> items) : m_items(std::move(items)) {}
    void normalize(std::string &text) const override
    {
        for (const auto &item : m_items)
            item->normalize(text);
    }

private:
    std::vector<std::unique_ptr<Normalizer>> m_items;
};

} // namespace

void replaceAll(std::string &text, const std::string &from, const std::string &to)
{
    std::size_t pos = text.find(from);
    if (pos == std::string::npos)
        return;
    std::string out;
    out.reserve(text.size() + to.size());
    std::size_t last = 0;
    while (pos != std::string::npos) {
        out.append(text, last, pos - last);
        out += to;
        last = pos + from.size();
        pos = text.find(from, last);
    }
    out.append(text, last, std::string::npos);
    text.swap(out);
}

std::unique_ptr<Normalizer> parseNormalizer(const Json &j, const std::string &context)
{
    if (j.is_null())
        return nullptr;
    const std::string type = componentType(j, context);
    const int compose = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    const int decompose = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE;
    if (type == "NFC")
        return std::make_unique<UnicodeForm>(compose);
    if (type == "NFD")
        return std::make_unique<UnicodeForm>(decompose);
    if (type == "NFKC")
        return std::make_unique<UnicodeForm>(compose | UTF8PROC_COMPAT);
    if (type == "NFKD")
        return std::make_unique<UnicodeForm>(decompose | UTF8PROC_COMPAT);
    if (type == "Lowercase")
        return std::make_unique<Lowercase>();
    if (type == "Strip")
        return std::make_unique<Strip>(optionalBool(j, "strip_left", true, context),
                                       optionalBool(j, "strip_right", true, context));
    if (type == "Replace")
        return std::make_unique<Replace>(j, context);
    if (type == "Prepend")
        return std::make_unique<Prepend>(requireString(j, "prepend", context));
    if (type == "Sequence") {
        const Json &list = requireMember(j, "normalizers", context);
        if (!list.is_array())
            failField(context + ".normalizers", "expected a list");
        std::vector<std::unique_ptr<Normalizer>> items;
        for (std::size_t i = 0; i < list.size(); ++i)
            if (auto item = parseNormalizer(list[i], context + ".normalizers[" + std::to_string(i) + "]"))
                items.push_back(std::move(item));
        return std::make_unique<Sequence>(std::move(items));
    }
    failField(context, "normalizer type '" + type + "' is not supported",
              "supported: NFC, NFD, NFKC, NFKD, Lowercase, Strip, Replace, Prepend, Sequence");
}

} // namespace engine::tok

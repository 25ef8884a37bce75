// The decoders of tokenizer.json (see tokendecoder.h), step for step as in
// tokenizers' decoders/*.rs.
#include "engine/tokenizer/tokendecoder.h"

#include "engine/tokenizer/bytelevel.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/utf8.h"

namespace engine::tok {
namespace {

const char *const kReplacementChar = "\xEF\xBF\xBD";

class ByteLevel : public TokenDecoder
{
public:
    void decodeChain(std::vector<std::string> &tokens) const override
    {
        std::string bytes;
        const ByteLevelMap &map = ByteLevelMap::instance();
        for (const std::string &token : tokens)
            map.decodeToken(token, bytes);
        tokens.assign(1, lossyUtf8(bytes));
    }
};

class Metaspace : public TokenDecoder
{
public:
    Metaspace(std::string replacement, bool dropFirst) : m_replacement(std::move(replacement)), m_dropFirst(dropFirst) {}
    void decodeChain(std::vector<std::string> &tokens) const override
    {
        for (std::size_t i = 0; i < tokens.size(); ++i)
            replaceAll(tokens[i], m_replacement, i == 0 && m_dropFirst ? "" : " ");
    }

private:
    std::string m_replacement;
    bool m_dropFirst;
};

class Replace : public TokenDecoder
{
public:
    Replace(std::string from, std::string to) : m_from(std::move(from)), m_to(std::move(to)) {}
    void decodeChain(std::vector<std::string> &tokens) const override
    {
        for (std::string &token : tokens)
            replaceAll(token, m_from, m_to);
    }

private:
    std::string m_from;
    std::string m_to;
};

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// The byte a "<0xHH>" token stands for, or -1.
int byteTokenValue(const std::string &token)
{
    if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>')
        return -1;
    const int high = hexValue(token[3]);
    const int low = hexValue(token[4]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
}

class ByteFallback : public TokenDecoder
{
public:
    void decodeChain(std::vector<std::string> &tokens) const override
    {
        std::vector<std::string> out;
        out.reserve(tokens.size());
        std::string pending;
        const auto flush = [&] {
            if (pending.empty())
                return;
            if (findInvalidUtf8(pending) == kValidUtf8)
                out.push_back(pending);
            else
                out.insert(out.end(), pending.size(), kReplacementChar);
            pending.clear();
        };
        for (std::string &token : tokens) {
            const int byte = byteTokenValue(token);
            if (byte >= 0) {
                pending += static_cast<char>(byte);
                continue;
            }
            flush();
            out.push_back(std::move(token));
        }
        flush();
        tokens.swap(out);
    }
};

class Fuse : public TokenDecoder
{
public:
    void decodeChain(std::vector<std::string> &tokens) const override
    {
        std::string joined;
        for (const std::string &token : tokens)
            joined += token;
        tokens.assign(1, std::move(joined));
    }
};

class Strip : public TokenDecoder
{
public:
    Strip(char32_t content, std::size_t start, std::size_t stop) : m_content(content), m_start(start), m_stop(stop) {}
    void decodeChain(std::vector<std::string> &tokens) const override
    {
        for (std::string &token : tokens) {
            std::vector<std::size_t> bounds; // byte offset of every character, plus the end
            std::vector<char32_t> chars;
            std::size_t pos = 0;
            while (pos < token.size()) {
                bounds.push_back(pos);
                chars.push_back(nextCodePoint(token, pos));
            }
            bounds.push_back(token.size());
            std::size_t startCut = 0;
            while (startCut < m_start && startCut < chars.size() && chars[startCut] == m_content)
                ++startCut;
            std::size_t stopCut = chars.size();
            for (std::size_t i = 0; i < m_stop && stopCut > startCut && chars[stopCut - 1] == m_content; ++i)
                --stopCut;
            token = token.substr(bounds[startCut], bounds[stopCut] - bounds[startCut]);
        }
    }

private:
    char32_t m_content;
    std::size_t m_start;
    std::size_t m_stop;
};

class Sequence : public TokenDecoder
{
public:
    explicit Sequence(std::vector<std::unique_ptr<TokenDecoder>> items) : m_items(std::move(items)) {}
    void decodeChain(std::vector<std::string> &tokens) const override
    {
        for (const auto &item : m_items)
            item->decodeChain(tokens);
    }

private:
    std::vector<std::unique_ptr<TokenDecoder>> m_items;
};

std::size_t countField(const Json &j, const char *key, const std::string &context)
{
    const Json &value = requireMember(j, key, context);
    if (!value.is_number_unsigned())
        failField(context + "." + key, "expected a non-negative integer");
    return value.get<std::size_t>();
}

std::unique_ptr<TokenDecoder> parseStrip(const Json &j, const std::string &context)
{
    const std::string content = requireString(j, "content", context);
    std::size_t pos = 0;
    if (content.empty() || findInvalidUtf8(content) != kValidUtf8 || (nextCodePoint(content, pos), pos != content.size()))
        failField(context + ".content", "expected exactly one character");
    pos = 0;
    return std::make_unique<Strip>(nextCodePoint(content, pos), countField(j, "start", context),
                                   countField(j, "stop", context));
}

std::unique_ptr<TokenDecoder> parseMetaspace(const Json &j, const std::string &context)
{
    const std::string scheme = optionalString(j, "prepend_scheme", "", context);
    const bool dropFirst = scheme.empty() ? optionalBool(j, "add_prefix_space", true, context) : scheme != "never";
    return std::make_unique<Metaspace>(optionalString(j, "replacement", "\xE2\x96\x81", context), dropFirst);
}

std::unique_ptr<TokenDecoder> parseReplace(const Json &j, const std::string &context)
{
    const Json &pattern = requireMember(j, "pattern", context);
    if (!pattern.is_object() || !pattern.contains("String"))
        failField(context + ".pattern", "only {\"String\": ...} patterns are supported in the Replace decoder");
    const std::string from = requireString(pattern, "String", context + ".pattern");
    if (from.empty())
        failField(context + ".pattern.String", "the pattern is empty");
    return std::make_unique<Replace>(from, requireString(j, "content", context));
}

} // namespace

std::string TokenDecoder::decode(std::vector<std::string> tokens) const
{
    decodeChain(tokens);
    std::string text;
    for (const std::string &token : tokens)
        text += token;
    return text;
}

std::unique_ptr<TokenDecoder> makeByteLevelDecoder()
{
    return std::make_unique<ByteLevel>();
}

std::unique_ptr<TokenDecoder> parseTokenDecoder(const Json &j, const std::string &context)
{
    if (j.is_null())
        return nullptr;
    const std::string type = componentType(j, context);
    if (type == "ByteLevel")
        return std::make_unique<ByteLevel>();
    if (type == "Metaspace")
        return parseMetaspace(j, context);
    if (type == "Replace")
        return parseReplace(j, context);
    if (type == "ByteFallback")
        return std::make_unique<ByteFallback>();
    if (type == "Fuse")
        return std::make_unique<Fuse>();
    if (type == "Strip")
        return parseStrip(j, context);
    if (type == "Sequence") {
        const Json &list = requireMember(j, "decoders", context);
        if (!list.is_array())
            failField(context + ".decoders", "expected a list");
        std::vector<std::unique_ptr<TokenDecoder>> items;
        for (std::size_t i = 0; i < list.size(); ++i)
            if (auto item = parseTokenDecoder(list[i], context + ".decoders[" + std::to_string(i) + "]"))
                items.push_back(std::move(item));
        return std::make_unique<Sequence>(std::move(items));
    }
    failField(context, "decoder type '" + type + "' is not supported",
              "supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence");
}

} // namespace engine::tok

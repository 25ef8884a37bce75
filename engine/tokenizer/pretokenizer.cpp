// The pre-tokenizers of tokenizer.json (see pretokenizer.h). Splitting follows
// tokenizers' SplitDelimiterBehavior exactly, so words match HF's.
#include "engine/tokenizer/pretokenizer.h"

#include "engine/tokenizer/bytelevel.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/regex.h"

#include <vector>

namespace engine::tok {
namespace {

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct Segment
{
    std::size_t begin;
    std::size_t end;
    bool isMatch;
};

// Cuts text into segments covering it, given the matches (sorted, non-overlapping).
std::vector<Segment> segmentsOf(std::size_t length, const std::vector<Regex::Span> &matches, bool invert)
{
    std::vector<Segment> segments;
    segments.reserve(matches.size() * 2 + 1);
    std::size_t last = 0;
    for (const auto &[begin, end] : matches) {
        if (begin > last)
            segments.push_back({last, begin, invert});
        segments.push_back({begin, end, !invert});
        last = end;
    }
    if (last < length)
        segments.push_back({last, length, invert});
    return segments;
}

// Applies a behaviour; the result's isMatch flags mean "drop this segment".
std::vector<Segment> applyBehavior(std::vector<Segment> in, Behavior behavior)
{
    std::vector<Segment> out;
    out.reserve(in.size());
    bool previousMatch = false;
    switch (behavior) {
    case Behavior::Isolated:
        for (Segment &s : in)
            s.isMatch = false;
        return in;
    case Behavior::Removed:
        return in;
    case Behavior::MergedWithPrevious:
        for (const Segment &s : in) {
            if (s.isMatch && !previousMatch && !out.empty())
                out.back().end = s.end;
            else
                out.push_back({s.begin, s.end, false});
            previousMatch = s.isMatch;
        }
        return out;
    case Behavior::MergedWithNext:
        for (auto it = in.rbegin(); it != in.rend(); ++it) {
            if (it->isMatch && !previousMatch && !out.empty())
                out.back().begin = it->begin;
            else
                out.push_back({it->begin, it->end, false});
            previousMatch = it->isMatch;
        }
        return {out.rbegin(), out.rend()};
    case Behavior::Contiguous:
        for (std::size_t i = 0; i < in.size(); ++i) {
            if (i > 0 && in[i].isMatch == previousMatch)
                out.back().end = in[i].end;
            else
                out.push_back({in[i].begin, in[i].end, false});
            previousMatch = in[i].isMatch;
        }
        return out;
    }
    return out;
}

void emitSegments(std::string_view piece, bool atOrigin, const std::vector<Segment> &segments, const WordSink &sink)
{
    for (const Segment &s : segments)
        if (!s.isMatch && s.end > s.begin)
            sink(piece.substr(s.begin, s.end - s.begin), atOrigin && s.begin == 0);
}

void findLiteral(std::string_view text, std::string_view needle, std::vector<Regex::Span> &out)
{
    std::size_t pos = text.find(needle);
    while (pos != std::string_view::npos) {
        out.emplace_back(pos, pos + needle.size());
        pos = text.find(needle, pos + needle.size());
    }
}

Behavior parseBehavior(const std::string &name, const std::string &context)
{
    if (name == "Removed")
        return Behavior::Removed;
    if (name == "Isolated")
        return Behavior::Isolated;
    if (name == "MergedWithPrevious")
        return Behavior::MergedWithPrevious;
    if (name == "MergedWithNext")
        return Behavior::MergedWithNext;
    if (name == "Contiguous")
        return Behavior::Contiguous;
    failField(context + ".behavior", "unknown split behaviour '" + name + "'",
              "use Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
}

class Split : public PreTokenizer
{
public:
    Split(const Json &j, const std::string &context)
    {
        const Json &pattern = requireMember(j, "pattern", context);
        if (pattern.is_object() && pattern.contains("Regex"))
            m_regex = std::make_unique<Regex>(requireString(pattern, "Regex", context + ".pattern"), context);
        else if (pattern.is_object() && pattern.contains("String"))
            m_literal = requireString(pattern, "String", context + ".pattern");
        else
            failField(context + ".pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
        m_behavior = parseBehavior(requireString(j, "behavior", context), context);
        m_invert = optionalBool(j, "invert", false, context);
    }

    void split(std::string_view piece, bool atOrigin, const WordSink &sink) const override
    {
        std::vector<Regex::Span> matches;
        if (m_regex)
            m_regex->findAll(piece, matches);
        else if (!m_literal.empty())
            findLiteral(piece, m_literal, matches);
        emitSegments(piece, atOrigin, applyBehavior(segmentsOf(piece.size(), matches, m_invert), m_behavior), sink);
    }

private:
    std::unique_ptr<Regex> m_regex;
    std::string m_literal;
    Behavior m_behavior = Behavior::Isolated;
    bool m_invert = false;
};

const Regex &gpt2Regex()
{
    static const Regex regex(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
                             "GPT-2 pre-tokenizer");
    return regex;
}

class ByteLevel : public PreTokenizer
{
public:
    ByteLevel(bool addPrefixSpace, bool useRegex) : m_addPrefixSpace(addPrefixSpace), m_useRegex(useRegex) {}

    void split(std::string_view piece, bool atOrigin, const WordSink &sink) const override
    {
        std::string prefixed;
        if (m_addPrefixSpace && (piece.empty() || piece.front() != ' ')) {
            prefixed.reserve(piece.size() + 1);
            prefixed += ' ';
            prefixed.append(piece);
            piece = prefixed;
        }
        const ByteLevelMap &map = ByteLevelMap::instance();
        std::string mapped;
        if (!m_useRegex) {
            map.encode(piece, mapped);
            sink(mapped, atOrigin);
            return;
        }
        std::vector<Regex::Span> matches;
        gpt2Regex().findAll(piece, matches);
        for (const Segment &s : segmentsOf(piece.size(), matches, false)) {
            mapped.clear();
            map.encode(piece.substr(s.begin, s.end - s.begin), mapped);
            sink(mapped, atOrigin && s.begin == 0);
        }
    }

private:
    bool m_addPrefixSpace;
    bool m_useRegex;
};

enum class PrependScheme { Always, First, Never };

class Metaspace : public PreTokenizer
{
public:
    Metaspace(const Json &j, const std::string &context)
    {
        m_replacement = optionalString(j, "replacement", "\xE2\x96\x81", context);
        if (m_replacement.empty())
            failField(context + ".replacement", "the replacement character is empty");
        const std::string scheme = optionalString(j, "prepend_scheme", "", context);
        if (scheme.empty())
            m_scheme = optionalBool(j, "add_prefix_space", true, context) ? PrependScheme::Always : PrependScheme::Never;
        else if (scheme == "always")
            m_scheme = PrependScheme::Always;
        else if (scheme == "first")
            m_scheme = PrependScheme::First;
        else if (scheme == "never")
            m_scheme = PrependScheme::Never;
        else
            failField(context + ".prepend_scheme", "unknown prepend scheme '" + scheme + "'", "use always, first or never");
        m_split = optionalBool(j, "split", true, context);
    }

    void split(std::string_view piece, bool atOrigin, const WordSink &sink) const override
    {
        std::string text(piece);
        replaceAll(text, " ", m_replacement);
        const bool startsWithReplacement = text.compare(0, m_replacement.size(), m_replacement) == 0;
        if (!startsWithReplacement
            && (m_scheme == PrependScheme::Always || (m_scheme == PrependScheme::First && atOrigin)))
            text.insert(0, m_replacement);
        if (!m_split) {
            sink(text, atOrigin);
            return;
        }
        std::vector<Regex::Span> matches;
        findLiteral(text, m_replacement, matches);
        emitSegments(text, atOrigin, applyBehavior(segmentsOf(text.size(), matches, false), Behavior::MergedWithNext),
                     sink);
    }

private:
    std::string m_replacement;
    PrependScheme m_scheme = PrependScheme::Always;
    bool m_split = true;
};

class Sequence : public PreTokenizer
{
public:
    explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> items) : m_items(std::move(items)) {}

    void split(std::string_view piece, bool atOrigin, const WordSink &sink) const override
    {
        runFrom(0, piece, atOrigin, sink);
    }

private:
    void runFrom(std::size_t index, std::string_view piece, bool atOrigin, const WordSink &sink) const
    {
        if (index == m_items.size()) {
            sink(piece, atOrigin);
            return;
        }
        m_items[index]->split(piece, atOrigin, [&](std::string_view word, bool wordAtOrigin) {
            runFrom(index + 1, word, wordAtOrigin, sink);
        });
    }

    std::vector<std::unique_ptr<PreTokenizer>> m_items;
};

} // namespace

std::unique_ptr<PreTokenizer> makeGpt2PreTokenizer()
{
    return std::make_unique<ByteLevel>(false, true);
}

std::unique_ptr<PreTokenizer> parsePreTokenizer(const Json &j, const std::string &context)
{
    if (j.is_null())
        return nullptr;
    const std::string type = componentType(j, context);
    if (type == "Split")
        return std::make_unique<Split>(j, context);
    if (type == "ByteLevel")
        return std::make_unique<ByteLevel>(optionalBool(j, "add_prefix_space", true, context),
                                           optionalBool(j, "use_regex", true, context));
    if (type == "Metaspace")
        return std::make_unique<Metaspace>(j, context);
    if (type == "Sequence") {
        const Json &list = requireMember(j, "pretokenizers", context);
        if (!list.is_array())
            failField(context + ".pretokenizers", "expected a list");
        std::vector<std::unique_ptr<PreTokenizer>> items;
        for (std::size_t i = 0; i < list.size(); ++i)
            if (auto item = parsePreTokenizer(list[i], context + ".pretokenizers[" + std::to_string(i) + "]"))
                items.push_back(std::move(item));
        return std::make_unique<Sequence>(std::move(items));
    }
    failField(context, "pre-tokenizer type '" + type + "' is not supported",
              "Lorafit supports Split, ByteLevel, Metaspace and Sequence (GPT-2, Llama, Mistral, Qwen tokenizers)");
}

} // namespace engine::tok

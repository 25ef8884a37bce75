// tokenizeExample: segment-wise encoding, BOS policy, truncation.
#include "engine/data/exampletokenizer.h"

namespace engine::data {

namespace {

bool startsWith(const std::vector<Segment> &segments, const std::string &prefix)
{
    return !prefix.empty() && !segments.empty() && segments[0].text.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

void tokenizeExample(
    const RenderedExample &example, const Tokenizer &tokenizer, std::size_t maxLength, TokenizedExample &out)
{
    out.ids.clear();
    out.labels.clear();
    out.segmentEnds.clear();
    out.addedBos = false;
    const SpecialTokens &special = tokenizer.specialTokens();
    if (example.special == SpecialPolicy::PostProcessor) {
        std::string text = joinSegments(example.segments);
        out.ids = tokenizer.encode(text, true, true);
        out.labels.assign(out.ids.size(), kIgnoreIndex);
        out.segmentEnds.push_back(out.ids.size());
    } else {
        if (example.special == SpecialPolicy::AddBos && special.addBos && special.bos
            && !startsWith(example.segments, special.bosText)) {
            out.ids.push_back(*special.bos);
            out.labels.push_back(kIgnoreIndex);
            out.addedBos = true;
        }
        for (const Segment &segment : example.segments) {
            const std::vector<TokenId> ids = tokenizer.encode(segment.text, false, true);
            out.ids.insert(out.ids.end(), ids.begin(), ids.end());
            if (segment.trained)
                out.labels.insert(out.labels.end(), ids.begin(), ids.end());
            else
                out.labels.insert(out.labels.end(), ids.size(), kIgnoreIndex);
            out.segmentEnds.push_back(out.ids.size());
        }
    }
    out.fullLength = out.ids.size();
    out.truncated = out.ids.size() > maxLength;
    if (out.truncated) {
        out.ids.resize(maxLength);
        out.labels.resize(maxLength);
    }
}

} // namespace engine::data

// previewDataset: ExampleSource, then per example either its tokens (tokenized
// on worker threads by tokenizeAll) or its byte lengths, feeding the
// statistics and the first N span lists.
#include "engine/data/datasetpreview.h"

#include "engine/data/examplesource.h"
#include "engine/data/exampletokenizer.h"
#include "engine/data/sequencepacker.h"
#include "engine/data/tokenizingpipeline.h"

#include <algorithm>

namespace engine::data {

namespace {

constexpr std::size_t kBuckets = 16;

struct PreviewCancelled
{
};

// Spans with token (or byte) ranges; a BOS the tokenizer added becomes its own masked span.
ExamplePreview previewOf(const RenderedExample &rendered, const TokenizedExample *tokenized, const Tokenizer *tokenizer,
    std::size_t length, std::size_t maxLength)
{
    ExamplePreview p;
    p.source = rendered.source;
    p.line = rendered.line;
    p.label = rendered.label;
    p.pairRole = rendered.pairRole;
    p.length = length;
    p.truncated = length > maxLength;
    std::size_t at = 0;
    if (tokenized && tokenized->addedBos) {
        p.spans.push_back({ tokenizer->specialTokens().bosText, false, 0, 1 });
        at = 1;
    }
    for (std::size_t i = 0; i < rendered.segments.size(); ++i) {
        const Segment &s = rendered.segments[i];
        const std::size_t end = tokenized ? tokenized->segmentEnds[i] : at + s.text.size();
        p.spans.push_back({ s.text, s.trained, at, end });
        at = end;
    }
    return p;
}

DatasetPreview preview(const DatasetConfig &config, const Tokenizer *tokenizer, const TemplateDetection *modelTemplate,
    int exampleCount, const DataProgress &progress)
{
    ExampleSource source(config.trainPath, config, modelTemplate, tokenizer);
    DatasetPreview out;
    out.tokenized = tokenizer != nullptr;
    out.shape = source.shape();
    out.shapeReason = source.shapeReason();
    out.chatTemplate = source.renderOptions().chatTemplate;
    out.warnings = source.warnings();
    const auto maxLength = static_cast<std::size_t>(config.maxLength);
    out.histogram.bucketWidth = std::max<std::size_t>(1, (maxLength + kBuckets - 1) / kBuckets);
    out.histogram.counts.assign(kBuckets + 1, 0);
    const bool pairs = out.shape == Shape::Preference; // never packed: each pair is one unit of two rows
    SequencePacker packer(maxLength, config.packing && !pairs);
    const int shownExamples = pairs ? 2 * exampleCount : exampleCount;
    std::uint64_t lengthSum = 0;
    auto count = [&](const RenderedExample &rendered, const TokenizedExample *tokenized, std::size_t length,
                     std::size_t trained) {
        if (static_cast<int>(out.examples.size()) < shownExamples)
            out.examples.push_back(previewOf(rendered, tokenized, tokenizer, length, maxLength));
        const std::size_t kept = std::min(length, maxLength);
        out.shortest = out.records == 0 ? length : std::min(out.shortest, length);
        out.longest = std::max(out.longest, length);
        const bool secondOfPair = rendered.pairRole == PairRole::Rejected;
        out.records += secondOfPair ? 0 : 1;
        lengthSum += length;
        out.overMaxLength += length > maxLength;
        out.histogram.counts[std::min(kBuckets, length / out.histogram.bucketWidth)] += 1;
        out.tokensPerEpoch += kept;
        out.trainedTokensPerEpoch += trained;
        if (!secondOfPair)
            packer.place(kept);
        if (progress && !secondOfPair && (out.records & 1023) == 0 && !progress(source.bytesRead(), source.totalBytes()))
            throw PreviewCancelled();
    };
    if (tokenizer) {
        tokenizeAll(source, *tokenizer, maxLength, [&](const RenderedExample &rendered, const TokenizedExample &tokenized) {
            const auto trained = static_cast<std::size_t>(std::count_if(
                tokenized.labels.begin(), tokenized.labels.end(), [](TokenId l) { return l != kIgnoreIndex; }));
            count(rendered, &tokenized, tokenized.fullLength, trained);
        });
    } else {
        RenderedExample rendered;
        while (source.next(rendered)) {
            std::size_t length = 0, kept = 0, trained = 0; // in bytes: no tokenizer
            for (const Segment &s : rendered.segments) {
                const std::size_t take = std::min(s.text.size(), maxLength - std::min(maxLength, kept));
                kept += take;
                trained += s.trained ? take : 0;
                length += s.text.size();
            }
            count(rendered, nullptr, length, trained);
        }
    }
    const std::int64_t examples = pairs ? 2 * out.records : out.records;
    out.meanLength = examples > 0 ? static_cast<double>(lengthSum) / static_cast<double>(examples) : 0.0;
    out.sequencesPerEpoch = packer.sequences();
    out.skippedRecords = source.skipped();
    out.skippedMessages = source.skippedMessages();
    return out;
}

} // namespace

Result<DatasetPreview> previewDataset(const DatasetConfig &config, const Tokenizer *tokenizer,
    const TemplateDetection *modelTemplate, int exampleCount, const DataProgress &progress)
{
    try {
        return guard([&] { return preview(config, tokenizer, modelTemplate, exampleCount, progress); });
    } catch (const PreviewCancelled &) {
        return Status::failure("reading the dataset was cancelled");
    }
}

} // namespace engine::data

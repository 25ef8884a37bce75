// The dataset panel's view of a dataset: the first rendered examples with
// their trained and masked spans (as text and as token ranges), record
// counts, a length histogram, records over the maximum length, tokens and
// sequences per epoch. One streaming pass; memory does not grow with the
// file. Without a tokenizer every length is in UTF-8 bytes instead of tokens.
// Qt-free and Torch-free.
#pragma once

#include "engine/core/status.h"
#include "engine/data/chattemplatedetector.h"
#include "engine/data/dataloader.h"
#include "engine/data/datasetconfig.h"
#include "engine/data/samplerenderer.h"
#include "engine/tokenizer/tokenizer.h"

#include <string>
#include <vector>

namespace engine::data {

struct SpanPreview
{
    std::string text; // the rendered text of the span
    bool trained = false; // its tokens carry loss
    std::size_t begin = 0; // first token (byte without a tokenizer) of the span in the example
    std::size_t end = 0; // one past the last
};

struct ExamplePreview
{
    std::string source; // file and line of the record
    std::int64_t line = 0;
    std::vector<SpanPreview> spans; // in order; joined texts = the rendered example
    std::size_t length = 0; // tokens (bytes) before truncation
    bool truncated = false; // length > maxLength: the tail is dropped in training
    std::string label; // classification label
    PairRole pairRole = PairRole::None; // preference data: the chosen or the rejected answer of its record
};

struct LengthHistogram
{
    std::size_t bucketWidth = 1; // bucket i counts lengths in [i*w, (i+1)*w)
    std::vector<std::int64_t> counts; // the last bucket also holds everything longer
};

struct DatasetPreview
{
    bool tokenized = false; // false: lengths are UTF-8 bytes (no tokenizer given)
    Shape shape = Shape::Text;
    std::string shapeReason;
    ChatTemplate chatTemplate; // used for conversations
    std::vector<std::string> warnings;
    std::int64_t records = 0; // good records (a preference record is one, with two examples)
    std::int64_t skippedRecords = 0;
    std::vector<std::string> skippedMessages; // the first few
    std::vector<ExamplePreview> examples; // the first N (preference data: of the first N records, both answers)
    LengthHistogram histogram;
    std::size_t shortest = 0;
    std::size_t longest = 0;
    double meanLength = 0;
    std::int64_t overMaxLength = 0; // records longer than maxLength
    std::uint64_t tokensPerEpoch = 0; // after truncation
    std::uint64_t trainedTokensPerEpoch = 0; // of those, tokens that carry loss
    std::int64_t sequencesPerEpoch = 0; // sequences of maxLength (packing in file order) or examples; pairs for preference data
};

// Reads all of config.trainPath once. tokenizer and modelTemplate may be
// nullptr. Fails naming the file and line of the first bad record (unless
// skipping), or "cancelled" when progress returned false.
Result<DatasetPreview> previewDataset(const DatasetConfig &config, const Tokenizer *tokenizer,
    const TemplateDetection *modelTemplate, int exampleCount = 2, const DataProgress &progress = {});

} // namespace engine::data

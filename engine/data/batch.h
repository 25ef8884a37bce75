// Batch: token ids, labels, attention mask and position ids of B sequences of
// T tokens as plain row-major vectors (the trainer makes tensors of them),
// plus DataCursor, the resumable position in the training stream that
// checkpoints store. Qt-free and Torch-free.
#pragma once

#include "engine/tokenizer/tokenizer.h"

#include <cstdint>
#include <vector>

namespace engine::data {

constexpr TokenId kIgnoreIndex = -100; // label of positions without loss (transformers' IGNORE_INDEX)

struct Batch
{
    int rows = 0; // B: sequences in this batch
    int columns = 0; // T: tokens per sequence (the longest row; shorter rows are padded)
    std::vector<TokenId> inputIds; // (B, T); padding uses the pad id (else eos, else 0)
    std::vector<TokenId> labels; // (B, T); -100 on masked tokens, padding and each packed document's first token
    std::vector<std::int32_t> attentionMask; // (B, T); 1 on tokens, 0 on padding
    std::vector<std::int32_t> positionIds; // (B, T); restart at 0 at every packed document, 0 on padding
    std::vector<std::int32_t> classLabels; // (B); classification datasets only, else empty
    int preferencePairs = 0; // preference data: rows 2p and 2p + 1 are pair p's chosen and rejected answer; else 0
    std::int64_t trainedTokens = 0; // labels != -100 at positions >= 1 (the tokens the shifted loss counts)
    std::int64_t documents = 0; // examples in this batch
};

// Where the training stream stands: `position` sequences of epoch `epoch`
// have been handed out. The fingerprint ties it to the dataset, settings and
// tokenization it was taken with, so a checkpoint cannot resume on other data.
struct DataCursor
{
    std::int64_t epoch = 0;
    std::int64_t position = 0;
    std::uint64_t fingerprint = 0;
};

} // namespace engine::data

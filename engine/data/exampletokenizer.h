// Rendered segments -> token ids and labels: each segment is encoded on its
// own (special-token strings parsed, nothing added) and the ids concatenated,
// so the loss mask follows segment boundaries exactly (formats.md §7.3);
// labels are the ids on trained segments and -100 elsewhere. BOS is added
// only where SpecialPolicy says and never twice. Truncates to a maximum
// length. Qt-free and Torch-free.
#pragma once

#include "engine/data/batch.h"
#include "engine/data/samplerenderer.h"
#include "engine/tokenizer/tokenizer.h"

#include <vector>

namespace engine::data {

struct TokenizedExample
{
    std::vector<TokenId> ids;
    std::vector<TokenId> labels; // same length as ids; kIgnoreIndex where masked
    std::vector<std::size_t> segmentEnds; // token index where each rendered segment ends (before truncation)
    std::size_t fullLength = 0; // tokens before truncation
    bool truncated = false; // fullLength > maxLength
    bool addedBos = false; // a BOS was prepended (it is not part of any segment)
};

// Throws engine::Error from the tokenizer (e.g. invalid UTF-8).
void tokenizeExample(
    const RenderedExample &example, const Tokenizer &tokenizer, std::size_t maxLength, TokenizedExample &out);

} // namespace engine::data

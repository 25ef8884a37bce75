// Internal (Torch): the loss of every token of a sequence under the model,
// -log p(id[t] | id[window start .. t-1]). Sequences longer than the window are
// cut into windows that overlap by one token, so every position 1..N-1 is
// predicted exactly once and each window starts with no earlier context.
// Does not tokenize. Shape letters: T = window length, V = vocabulary.
#pragma once

#include "engine/model/causallm.h"
#include "engine/tokenizer/tokenizer.h"

#include <atomic>
#include <vector>

namespace engine {

struct TokenLossRun
{
    std::vector<double> losses; // losses[i] is the loss of ids[i + 1]
    std::int64_t windows = 0; // forward passes run
    bool cancelled = false; // stopped early by the cancel flag (losses cover the finished windows)
};

// `ids` needs at least 2 tokens; window in [2, context]. `cancel` (may be
// null) is checked before each window. Throws engine::Error otherwise.
TokenLossRun computeTokenLosses(const CausalLm &model, const std::vector<TokenId> &ids, std::int64_t window,
    const std::atomic<bool> *cancel = nullptr);

} // namespace engine

// What one text generation produced: the text, token counts, why it stopped
// and how fast it ran, plus the streaming callback type. Cancellation is a
// stop reason, not an error. Qt-free, Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace engine {

enum class StopReason {
    Eos, // the model produced an end-of-sequence token (tokenizer eos or generation_config eos_token_id)
    StopString, // the output reached one of the stop strings
    MaxTokens, // maxNewTokens tokens were generated
    ContextFull, // prompt plus output reached the model's context length
    Cancelled, // the cancel flag was set or the text callback returned false
};

// "eos", "stop-string", "max-tokens", "context-full", "cancelled".
const char *stopReasonName(StopReason reason);

struct GenerationResult
{
    std::string text; // generated text (no prompt, no eos, no stop string); equals the streamed pieces
                      // joined, unless the callback returned false (it is not called again after that)
    std::int64_t promptTokens = 0; // tokens of the rendered prompt, BOS included
    std::int64_t newTokens = 0; // tokens generated (an eos that ended generation not counted)
    std::vector<std::int32_t> tokenIds; // the newTokens generated ids, in order
    StopReason stopReason = StopReason::MaxTokens;
    std::string stopString; // the stop string that ended generation (StopReason::StopString)
    double promptSeconds = 0.0; // time to process the prompt (prefill)
    double generateSeconds = 0.0; // time from the end of the prefill to the last token
    double tokensPerSecond = 0.0; // newTokens / generateSeconds (0 when nothing was generated)
};

// Receives each new piece of text as soon as it is final (whole UTF-8
// characters only; text that may begin a stop string is held back until it
// cannot). Return false to stop generation (reported as Cancelled). Runs on the
// generating thread.
using TextCallback = std::function<bool(const std::string &piece)>;

} // namespace engine

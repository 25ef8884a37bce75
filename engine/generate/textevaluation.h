// How well a model predicts a text: the loss of every predicted token, their
// mean and the perplexity. Plain data filled by the evaluation (see
// InferenceSession::evaluate), and its TSV form; Qt-free, Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

struct TokenLoss
{
    std::int64_t position = 0; // index of the predicted token in the tokenized text (>= 1; BOS is 0 when added)
    std::int32_t id = 0; // the token id at that position
    std::string text; // the token decoded on its own (may be U+FFFD for part of a character)
    double loss = 0.0; // -log p(token | the tokens before it in its window), natural log
};

struct TextEvaluation
{
    std::vector<TokenLoss> tokens; // one entry per predicted position, in order
    std::int64_t textTokens = 0; // tokens of the text, BOS included when the tokenizer adds one
    std::int64_t windows = 0; // forward passes used (texts longer than the window are split)
    std::int64_t windowLength = 0; // tokens per window
    double meanLoss = 0.0; // mean of tokens[i].loss
    double perplexity = 0.0; // exp(meanLoss)
    bool cancelled = false; // stopped early on request: the fields cover the windows finished before
};

// The per-token table of `lorafit-cli eval --token-losses` (and
// lorafit-gpucheck eval): a header "position, token_id, token, loss" and one
// tab-separated row per predicted token, the token text with backslash, tab,
// newline, carriage return and other control bytes as C-style escapes, the
// loss with 9 significant digits.
std::string tokenLossTable(const TextEvaluation &evaluation);

} // namespace engine

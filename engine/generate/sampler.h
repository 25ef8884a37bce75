// Internal (Torch): choosing the next token from the logits of one position,
// in transformers' order: repetition penalty, then (when sampling) temperature,
// top-k, top-p, and a draw from the remaining distribution with the sampler's
// own seeded generator. Greedy (temperature 0) is the argmax after the
// repetition penalty. Does not run the model. Not thread-safe.
// Shape letters: V = vocabulary size.
#pragma once

#include "engine/generate/generationoptions.h"
#include "engine/tokenizer/tokenizer.h"

#include <torch/torch.h>

#include <vector>

namespace engine {

class Sampler
{
public:
    // Throws engine::Error if the options are invalid (GenerationOptions::validate()).
    explicit Sampler(const GenerationOptions &options);

    // logits (V) of the next position (any device and float type); history: the
    // prompt and the tokens generated so far (for the repetition penalty).
    TokenId next(const torch::Tensor &logits, const std::vector<TokenId> &history);

private:
    GenerationOptions m_options;
    torch::Generator m_generator; // CPU, seeded with options.seed
};

// transformers' RepetitionPenaltyLogitsProcessor: for every distinct id in
// `history`, a positive logit is divided by `penalty`, a negative one
// multiplied by it. logits (V) f32 -> (V).
torch::Tensor applyRepetitionPenalty(const torch::Tensor &logits, const std::vector<TokenId> &history, double penalty);

// Sets every logit below the k-th largest to -inf (ties with the k-th kept). (V) -> (V)
torch::Tensor filterTopK(const torch::Tensor &logits, int k);

// Keeps the most likely tokens until their probability reaches p (at least
// one token); the rest become -inf. (V) -> (V)
torch::Tensor filterTopP(const torch::Tensor &logits, double p);

} // namespace engine

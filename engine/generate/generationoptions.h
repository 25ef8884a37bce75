// Settings of one text generation: how many tokens, how the next token is
// chosen (greedy, or sampling with temperature, top-k, top-p and a seed), the
// repetition penalty and stop strings. Plain aggregate with defaults and one
// validate(); the generation loop and the CLI read it. Qt-free, Torch-free.
#pragma once

#include "engine/core/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

struct GenerationOptions
{
    int maxNewTokens = 256; // stop after this many generated tokens (>= 1)
    double temperature = 0.8; // logits are divided by it before sampling; 0 = greedy (argmax, no randomness)
    int topK = 40; // sample among the k most likely tokens (ties at the k-th kept); 0 = off
    double topP = 0.95; // nucleus: the smallest set of tokens whose probability reaches p, in (0, 1]; 1 = off
    double repetitionPenalty = 1.0; // > 0; tokens already in prompt or output: positive logits / r, negative * r
    std::uint64_t seed = 0; // sampling seed: same model, prompt, options and seed give the same text
    std::vector<std::string> stopStrings; // stop when the output contains one (it is not part of the text)

    // Checks every field; the message names it and its valid range.
    Status validate() const;
    // True when temperature is 0: top-k, top-p and the seed are unused.
    bool greedy() const { return temperature == 0.0; }
};

// Options for deterministic argmax decoding (temperature 0, no filters).
GenerationOptions greedyOptions(int maxNewTokens = 256);

} // namespace engine

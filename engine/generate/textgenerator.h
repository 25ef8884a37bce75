// Internal (Torch): the generation loop. Prefills the prompt once into a KV
// cache, then feeds one token per step; stops on a stop id, a stop string, the
// token limit, the model's context length or cancellation (checked before
// every forward pass and after every token). Text reaches the callback as
// whole UTF-8 characters with possible stop-string prefixes held back; special
// tokens count as tokens but add no text (as transformers' pipelines). Does
// not tokenize the prompt or render chat templates (InferenceSession does).
#pragma once

#include "engine/generate/generationoptions.h"
#include "engine/generate/generationresult.h"
#include "engine/model/causallm.h"
#include "engine/tokenizer/tokenizer.h"

#include <atomic>
#include <vector>

namespace engine {

// The ids that end generation: the tokenizer's stop ids (eos and
// generation_config.json's eos_token_id list) and config.json's eos_token_id.
std::vector<TokenId> stopTokenIds(const Tokenizer &tokenizer, const ModelConfig &config);

// Generates a continuation of `promptIds` (not empty, shorter than the
// context). `stopIds` end generation without being part of the output.
// `cancel` may be null. Throws engine::Error for invalid options or prompts.
GenerationResult generateTokens(const CausalLm &model, const Tokenizer &tokenizer,
    const std::vector<TokenId> &promptIds, const std::vector<TokenId> &stopIds, const GenerationOptions &options,
    const TextCallback &onText = {}, const std::atomic<bool> *cancel = nullptr);

} // namespace engine

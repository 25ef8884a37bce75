// The tokenizer part of a GGUF model for llama.cpp: tokenizer.ggml.model
// "gpt2" (byte-level BPE: GPT-2, Llama-3, Qwen2/3 and Lorafit's demo), the
// tokens in id order with their types (normal, control for special added
// tokens, user-defined for the other added ones, unused for gaps), the merges,
// bos/eos/pad/unk ids, add_bos/add_eos, the pre-tokenizer name llama.cpp
// selects its regex by, and the chat template. Reads tokenizer.json and the
// tokenizer's special-token roles; does not tokenize. SentencePiece-style
// tokenizers (byte_fallback) are refused with a hint. Torch-free.
#pragma once

#include "engine/export/ggufwriter.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

struct GgufVocab
{
    std::vector<std::string> tokens; // by id, exactly vocabRows of them
    std::vector<std::int32_t> tokenTypes; // llama_token_type: 1 normal, 3 control, 4 user-defined, 5 unused
    std::vector<std::string> merges; // "left right", in rank order
    std::string pre; // tokenizer.ggml.pre, e.g. "gpt-2", "llama-bpe", "qwen2", "default"
    std::string preWarning; // set when `pre` is the fallback "default"
    std::int64_t bos = -1, eos = -1, pad = -1, unk = -1; // -1: none
    bool addBos = false, addEos = false;
    std::string chatTemplate; // Jinja text; empty: none
};

// Reads the tokenizer of `modelFolder` for a model whose embedding has
// `vocabRows` rows. `chatTemplate` is used when the folder has none.
// Throws engine::Error naming the file and field, with a hint.
GgufVocab readGgufVocab(const std::string &modelFolder, std::int64_t vocabRows, const std::string &chatTemplate);

// llama.cpp's pre-tokenizer name for a tokenizer.json pre_tokenizer (as JSON
// text), or "" when it has none of the known ones.
std::string llamaCppPreTokenizer(const std::string &preTokenizerJson);

// Writes the tokenizer.* keys.
void addGgufVocab(GgufWriter &writer, const GgufVocab &vocab);

} // namespace engine

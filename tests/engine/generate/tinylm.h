// Test helper (Torch): a complete tiny model folder for generation and
// evaluation tests: a random model (tests/engine/model/tinymodel.h) whose
// vocabulary is a byte-level BPE tokenizer.json written here, plus
// tokenizer_config.json with a ChatML chat template. Every ordinary token is
// one character, so text and token counts are easy to reason about.
#pragma once

#include <QString>

#include <string>
#include <vector>

namespace tinylm {

// Token ids of the tokenizer: printable ASCII '!'..'~' are 0..93 (id = byte - 33),
// space 94, newline 95, then the special tokens; with multibyte, the bytes
// C3 A9 E2 82 AC ("é" and "€" in UTF-8) follow as single-byte tokens 99..103.
constexpr int kSpace = 94;
constexpr int kNewline = 95;
constexpr int kEndOfText = 96; // <|endoftext|>, the eos
constexpr int kImStart = 97; // <|im_start|>
constexpr int kImEnd = 98; // <|im_end|>
int vocabSize(bool multibyte);
int idOf(char printable); // '!'..'~'

// tokenizer.json text for the vocabulary above.
std::string tokenizerJson(bool multibyte = false);

struct Folder
{
    std::string modelType = "gpt2"; // any of tiny::configJson's types
    std::string extraConfig = "{}"; // config.json overrides (vocab and special ids are set here)
    bool multibyte = false;
    std::string generationConfig; // generation_config.json text; empty: no file
    std::uint64_t seed = 1; // weights
};

// Writes config.json, model.safetensors, tokenizer.json and tokenizer_config.json into dir.
void writeFolder(const QString &dir, const Folder &folder);

} // namespace tinylm

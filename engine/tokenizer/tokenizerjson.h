// Parsing tokenizer.json and GPT-2's vocab.json + merges.txt into an
// HfTokenizer. Errors name the file and the JSON field and end with a hint.
// Only the BPE model is supported; WordPiece, Unigram and WordLevel are
// rejected by name. Special-token roles are set by tokenizerconfig.h.
#pragma once

#include "engine/tokenizer/hftokenizer.h"

#include <memory>
#include <string>
#include <string_view>

namespace engine::tok {

// `name` is used in error messages (usually the file path).
std::unique_ptr<HfTokenizer> parseTokenizerJson(std::string_view json, const std::string &name);

std::unique_ptr<HfTokenizer> parseGpt2Files(std::string_view vocabJson, const std::string &vocabName,
                                            std::string_view mergesText, const std::string &mergesName);

// Parses JSON text; throws engine::Error "<name>: invalid JSON at byte N: ...".
Json parseJsonText(std::string_view text, const std::string &name);

} // namespace engine::tok

// Loading a tokenizer from a Hugging Face model folder or file. Torch-free and
// Qt-free; the returned Tokenizer is immutable and safe to share across
// threads. Failures come back as a Result whose message names the file, the
// field and a hint (unsupported model types, invalid JSON, merges that refer
// to unknown tokens, ...).
#pragma once

#include "engine/core/status.h"
#include "engine/tokenizer/tokenizer.h"

#include <memory>
#include <string>
#include <string_view>

namespace engine {

// The tokenizer of a model folder: tokenizer.json if present, else GPT-2's
// vocab.json + merges.txt. Special-token roles come from tokenizer_config.json
// and stop ids from generation_config.json when those files exist. A path to a
// tokenizer.json file is accepted too (its folder is searched for the configs).
Result<std::unique_ptr<Tokenizer>> loadTokenizer(const std::string &modelFolder);

// One tokenizer.json file, without sibling config files.
Result<std::unique_ptr<Tokenizer>> loadTokenizerFile(const std::string &tokenizerJsonPath);

// tokenizer.json content already in memory; `sourceName` names it in errors.
Result<std::unique_ptr<Tokenizer>> loadTokenizerFromJson(std::string_view json,
                                                         const std::string &sourceName = "tokenizer.json");

// GPT-2's original files (vocab.json + merges.txt; also OpenAI's encoder.json + vocab.bpe).
Result<std::unique_ptr<Tokenizer>> loadGpt2Tokenizer(const std::string &vocabJsonPath,
                                                     const std::string &mergesTxtPath);

} // namespace engine

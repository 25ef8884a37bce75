// Special-token roles of a tokenizer: defaults from the post-processor and the
// model, then tokenizer_config.json (bos/eos/pad/unk as strings or AddedToken
// objects, add_bos_token / add_eos_token) and generation_config.json
// (eos_token_id as a number or a list -> stop ids). Reads JSON text; the
// loader reads the files.
#pragma once

#include "engine/tokenizer/hftokenizer.h"

#include <string>
#include <string_view>

namespace engine::tok {

// bos/eos from the post-processor's prefix/suffix, unk from the model.
void deriveSpecialTokens(HfTokenizer &tokenizer);

// The defaults of transformers' GPT2Tokenizer: bos = eos = unk = <|endoftext|>.
void setGpt2SpecialTokens(HfTokenizer &tokenizer);

// Applies tokenizer_config.json; throws engine::Error naming `name` and the field.
void applyTokenizerConfig(HfTokenizer &tokenizer, std::string_view json, const std::string &name);

// Adds generation_config.json's eos_token_id(s) to the stop ids.
void applyGenerationConfig(HfTokenizer &tokenizer, std::string_view json, const std::string &name);

} // namespace engine::tok

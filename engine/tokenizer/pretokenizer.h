// Pre-tokenizers of tokenizer.json ("pre_tokenizer"): Split (regex or literal,
// all five behaviours, invert), ByteLevel (GPT-2 regex + byte map), Metaspace
// (prepend schemes always/first/never, split) and Sequence. They cut one
// normalized piece into the words the model encodes, streaming each word to a
// callback so a 10 MB text never becomes a vector of millions of strings.
// Not supported (error at load): Whitespace, BertPreTokenizer, Digits, etc.
#pragma once

#include "engine/tokenizer/jsonfields.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace engine::tok {

// Receives one word; `atOrigin` is true if the word starts at offset 0 of the original input.
using WordSink = std::function<void(std::string_view word, bool atOrigin)>;

class PreTokenizer
{
public:
    virtual ~PreTokenizer() = default;
    // Splits `piece` and passes every resulting word to sink, in order.
    virtual void split(std::string_view piece, bool atOrigin, const WordSink &sink) const = 0;
};

// nullptr for JSON null; throws engine::Error naming `context` for unknown types.
std::unique_ptr<PreTokenizer> parsePreTokenizer(const Json &j, const std::string &context);

// The pre-tokenizer of GPT-2's vocab.json + merges.txt: ByteLevel(add_prefix_space=false, use_regex=true).
std::unique_ptr<PreTokenizer> makeGpt2PreTokenizer();

} // namespace engine::tok

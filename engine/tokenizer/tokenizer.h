// The tokenizer interface every part of the engine uses (datasets, training,
// generation, CLI). Concrete tokenizers (Hugging Face tokenizer.json, GPT-2
// vocab.json + merges.txt) implement it; tests may implement it with tiny
// fakes. Thread-safety: const methods may be called from several threads.
// Qt-free and Torch-free.
#pragma once

#include "engine/core/status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

using TokenId = std::int32_t;

// Special tokens as tokenizer_config.json / generation_config.json declare them.
struct SpecialTokens
{
    std::optional<TokenId> bos;   // beginning of sequence, if the model has one
    std::optional<TokenId> eos;   // end of sequence / end of turn for training
    std::optional<TokenId> pad;   // padding; may be absent (use an attention mask)
    std::optional<TokenId> unk;   // unknown token, if the model has one
    std::string bosText;          // e.g. "<s>", "<|begin_of_text|>"; empty if none
    std::string eosText;          // e.g. "</s>", "<|im_end|>"
    std::string padText;
    bool addBos = false;          // the post-processor / add_bos_token prepends bos
    bool addEos = false;          // the post-processor / add_eos_token appends eos
    std::vector<TokenId> stopIds; // every id that ends generation (eos plus generation_config's list)
};

class Tokenizer
{
public:
    virtual ~Tokenizer() = default;

    // Encodes UTF-8 text. addSpecial: apply the post-processor (BOS/EOS as the
    // model's tokenizer would). parseSpecial: text that spells a special or
    // added token becomes that token (as HF tokenizers does); false treats it as
    // plain text. Throws engine::Error on invalid UTF-8.
    virtual std::vector<TokenId> encode(std::string_view text, bool addSpecial = false,
                                        bool parseSpecial = true) const = 0;

    // Decodes ids to UTF-8 text (invalid byte runs become U+FFFD).
    virtual std::string decode(const std::vector<TokenId> &ids, bool skipSpecial = false) const = 0;

    // Number of ids (vocabulary plus added tokens); ids are in [0, vocabSize()).
    virtual std::size_t vocabSize() const = 0;
    virtual std::optional<TokenId> tokenToId(std::string_view token) const = 0;
    virtual std::string idToToken(TokenId id) const = 0; // empty if out of range
    virtual bool isSpecial(TokenId id) const = 0;
    virtual const SpecialTokens &specialTokens() const = 0;
};

} // namespace engine

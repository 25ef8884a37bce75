// Decoders of tokenizer.json ("decoder"): ByteLevel, Metaspace, Replace,
// ByteFallback, Fuse, Strip and Sequence, each a step of tokenizers'
// decode_chain over the list of token strings. The final text is the
// concatenation of the chain's output. Not supported: WordPiece, BPEDecoder, CTC.
#pragma once

#include "engine/tokenizer/jsonfields.h"

#include <memory>
#include <string>
#include <vector>

namespace engine::tok {

class TokenDecoder
{
public:
    virtual ~TokenDecoder() = default;
    // Rewrites the token list in place (a step of decode_chain).
    virtual void decodeChain(std::vector<std::string> &tokens) const = 0;
    // Runs the chain and joins the result.
    std::string decode(std::vector<std::string> tokens) const;
};

// nullptr for JSON null; throws engine::Error naming `context` for unknown types.
std::unique_ptr<TokenDecoder> parseTokenDecoder(const Json &j, const std::string &context);

// The ByteLevel decoder (GPT-2's vocab.json + merges.txt use it).
std::unique_ptr<TokenDecoder> makeByteLevelDecoder();

} // namespace engine::tok

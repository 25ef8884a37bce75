// A fake engine::Tokenizer for the data tests and the benchmark: one id per
// UTF-8 byte (id = byte value) plus a fixed list of special tokens recognised
// as whole strings (ids 256, 257, ...), so expected ids are easy to compute
// by hand. bos/eos are chosen by text; addBos imitates a post-processor
// that prepends BOS (Llama-2 style); addSpecial adds nothing else.
#pragma once

#include "engine/tokenizer/tokenizer.h"

#include <string>
#include <vector>

namespace test {

class ByteTokenizer : public engine::Tokenizer
{
public:
    // The special tokens, in id order from 256.
    static const std::vector<std::string> &specialStrings();

    ByteTokenizer(const std::string &bosText, const std::string &eosText, bool addBos);

    std::vector<engine::TokenId> encode(
        std::string_view text, bool addSpecial = false, bool parseSpecial = true) const override;
    std::string decode(const std::vector<engine::TokenId> &ids, bool skipSpecial = false) const override;
    std::size_t vocabSize() const override;
    std::optional<engine::TokenId> tokenToId(std::string_view token) const override;
    std::string idToToken(engine::TokenId id) const override;
    bool isSpecial(engine::TokenId id) const override { return id >= 256; }
    const engine::SpecialTokens &specialTokens() const override { return m_special; }

    // The id of one of specialStrings(); throws std::logic_error otherwise.
    static engine::TokenId idOf(const std::string &special);

private:
    engine::SpecialTokens m_special;
};

} // namespace test

// The concrete Tokenizer for Hugging Face tokenizers: the pipeline of
// tokenizer.json (added tokens -> normalizer -> normalized added tokens ->
// pre-tokenizer -> BPE model -> post-processor) and its decoder. Built by the
// loaders in tokenizerloader.cpp from parsed parts; knows nothing about files.
// Thread-safe: all methods are const and the model's cache is locked.
#pragma once

#include "engine/tokenizer/addedvocabulary.h"
#include "engine/tokenizer/bpemodel.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/posttemplate.h"
#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/tokendecoder.h"
#include "engine/tokenizer/tokenizer.h"

#include <memory>

namespace engine::tok {

struct HfTokenizerParts
{
    std::unique_ptr<Normalizer> normalizer;     // may be null
    std::unique_ptr<PreTokenizer> preTokenizer; // may be null: the whole piece is one word
    std::unique_ptr<BpeModel> model;            // required
    std::unique_ptr<TokenDecoder> decoder;      // may be null: tokens are joined with spaces
    PostTemplate post;                          // ids around the sequence when special tokens are added
    std::vector<AddedToken> addedTokens;
    SpecialTokens special;                      // filled by the loader
};

class HfTokenizer : public Tokenizer
{
public:
    explicit HfTokenizer(HfTokenizerParts parts);

    // parseSpecial = false leaves tokens marked "special" as plain text; other added
    // tokens still match (tokenizers' encode_special_tokens behaves the same way).
    std::vector<TokenId> encode(std::string_view text, bool addSpecial = false, bool parseSpecial = true) const override;
    std::string decode(const std::vector<TokenId> &ids, bool skipSpecial = false) const override;
    std::size_t vocabSize() const override;
    std::optional<TokenId> tokenToId(std::string_view token) const override;
    std::string idToToken(TokenId id) const override;
    bool isSpecial(TokenId id) const override;
    const SpecialTokens &specialTokens() const override { return m_parts.special; }

    // The ids the post-processor puts around a sequence; the loader may replace them
    // (tokenizer_config.json's add_bos_token / add_eos_token for Llama tokenizers).
    const PostTemplate &postTemplate() const { return m_parts.post; }
    void setPostTemplate(PostTemplate post) { m_parts.post = std::move(post); }
    SpecialTokens &mutableSpecialTokens() { return m_parts.special; }
    const BpeModel &model() const { return *m_parts.model; }

private:
    void encodeNormalizedPiece(std::string_view piece, bool atOrigin, std::vector<TokenId> &out) const;

    HfTokenizerParts m_parts;
    AddedVocabulary m_added;
};

} // namespace engine::tok

// The text of a pretraining run: documents read with engine/data's readers
// (.txt paragraphs, or the "text" field of .jsonl/.json/.csv records), a seeded
// split of whole documents into training and validation, and each part as
// one token stream (every document followed by the end-of-text token) cut
// into windows of T tokens that overlap by one, so every token but the first
// is a prediction target exactly once. Unlike DataLoader's packing, no
// document is truncated. Keeps the corpus in memory. Qt-free, Torch-free.
#pragma once

#include "engine/data/batch.h"
#include "engine/tokenizer/tokenizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

class PretrainCorpus
{
public:
    // Reads every document below `paths` and holds out `validationFraction`
    // of them (at least one) in an order fixed by `seed`. Throws engine::Error
    // naming the file and line of a record without text, or when there are
    // fewer than two documents.
    static PretrainCorpus read(const std::vector<std::string> &paths, double validationFraction, std::uint64_t seed);

    const std::vector<std::string> &trainDocuments() const { return m_train; }
    const std::vector<std::string> &validationDocuments() const { return m_validation; }
    std::uint64_t bytes() const { return m_bytes; } // of all document text

    // Encodes both parts (special-token strings in the text stay plain text),
    // appending `endOfText` after every document, then frees the text.
    void tokenize(const Tokenizer &tokenizer, TokenId endOfText);

    const std::vector<TokenId> &trainTokens() const { return m_trainTokens; }
    const std::vector<TokenId> &validationTokens() const { return m_validationTokens; }

    // Windows of `length` tokens (stride length - 1); the last may be shorter.
    static std::int64_t windowCount(std::size_t streamTokens, std::int64_t length);
    // Rows = the given windows of `stream`; labels equal the ids (the loss shifts
    // them), padding (id `pad`, label -100) fills short rows.
    static data::Batch batchOf(
        const std::vector<TokenId> &stream, const std::vector<std::int64_t> &windows, std::int64_t length, TokenId pad);

private:
    std::vector<std::string> m_train;
    std::vector<std::string> m_validation;
    std::uint64_t m_bytes = 0;
    std::vector<TokenId> m_trainTokens;
    std::vector<TokenId> m_validationTokens;
};

} // namespace engine

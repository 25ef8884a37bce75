// PretrainCorpus: reading through engine/data readers, the document split, windows.
#include "engine/pretrain/pretraincorpus.h"

#include "engine/core/status.h"
#include "engine/data/permutation.h"
#include "engine/data/recordreader.h"

#include <algorithm>

namespace engine {

namespace {

constexpr std::uint64_t kSplitSalt = 0x70726574726169ULL; // "pretrai"

void readDocuments(const std::string &path, std::vector<std::string> &out)
{
    data::ReaderOptions options;
    options.textUnit = data::TextUnit::Paragraph;
    std::unique_ptr<data::RecordReader> reader = data::openRecordReader(path, options);
    data::Record record;
    while (reader->next(record)) {
        const data::Field *text = record.field("text");
        if (!text || text->kind != data::Field::Kind::String)
            throw Error(record.where()
                + ": the record has no string field 'text' (hint: pretraining reads .txt "
                  "files, or .jsonl/.json/.csv records with a \"text\" field)");
        if (!text->text.empty())
            out.push_back(text->text);
    }
}

std::vector<TokenId> encodeAll(const std::vector<std::string> &documents, const Tokenizer &tokenizer, TokenId eot)
{
    std::vector<TokenId> stream;
    for (const std::string &document : documents) {
        const std::vector<TokenId> ids = tokenizer.encode(document, false, false);
        stream.insert(stream.end(), ids.begin(), ids.end());
        stream.push_back(eot);
    }
    return stream;
}

} // namespace

PretrainCorpus PretrainCorpus::read(
    const std::vector<std::string> &paths, double validationFraction, std::uint64_t seed)
{
    std::vector<std::string> documents;
    for (const std::string &path : paths)
        readDocuments(path, documents);
    const std::size_t n = documents.size();
    if (n < 2)
        throw Error("the corpus holds " + std::to_string(n) + " document(s); at least 2 are needed to hold one out "
            + "for validation (hint: separate paragraphs of .txt files with blank lines)");
    std::size_t held
        = std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(n) * validationFraction + 0.5));
    held = std::min(held, n - 1);
    const std::vector<std::uint32_t> order = data::shuffledIndices(n, data::mixSeed(seed, kSplitSalt));
    std::vector<std::uint32_t> validationIds(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(held));
    std::sort(validationIds.begin(), validationIds.end());

    PretrainCorpus corpus;
    std::size_t next = 0;
    for (std::size_t i = 0; i < n; ++i) {
        corpus.m_bytes += documents[i].size();
        const bool isValidation = next < validationIds.size() && validationIds[next] == i;
        next += isValidation;
        (isValidation ? corpus.m_validation : corpus.m_train).push_back(std::move(documents[i]));
    }
    return corpus;
}

void PretrainCorpus::tokenize(const Tokenizer &tokenizer, TokenId endOfText)
{
    m_trainTokens = encodeAll(m_train, tokenizer, endOfText);
    m_validationTokens = encodeAll(m_validation, tokenizer, endOfText);
    m_train = {};
    m_validation = {};
}

std::int64_t PretrainCorpus::windowCount(std::size_t streamTokens, std::int64_t length)
{
    const auto tokens = static_cast<std::int64_t>(streamTokens);
    if (tokens < 2)
        return 0;
    return (tokens - 1 + (length - 1) - 1) / (length - 1); // ceil((tokens - 1) / stride)
}

data::Batch PretrainCorpus::batchOf(
    const std::vector<TokenId> &stream, const std::vector<std::int64_t> &windows, std::int64_t length, TokenId pad)
{
    data::Batch batch;
    batch.rows = static_cast<int>(windows.size());
    batch.columns = static_cast<int>(length);
    const std::size_t cells = windows.size() * static_cast<std::size_t>(length);
    batch.inputIds.assign(cells, pad);
    batch.labels.assign(cells, data::kIgnoreIndex);
    batch.attentionMask.assign(cells, 0);
    batch.positionIds.assign(cells, 0);
    for (std::size_t row = 0; row < windows.size(); ++row) {
        const auto begin = static_cast<std::size_t>(windows[row] * (length - 1));
        const std::size_t end = std::min(stream.size(), begin + static_cast<std::size_t>(length));
        for (std::size_t i = begin; i < end; ++i) {
            const std::size_t cell = row * static_cast<std::size_t>(length) + (i - begin);
            batch.inputIds[cell] = batch.labels[cell] = stream[i];
            batch.attentionMask[cell] = 1;
            batch.positionIds[cell] = static_cast<std::int32_t>(i - begin);
        }
        batch.trainedTokens += static_cast<std::int64_t>(end - begin) - 1;
    }
    return batch;
}

} // namespace engine

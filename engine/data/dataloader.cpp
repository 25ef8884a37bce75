// DataLoader: loading (ExampleSource -> tokenizeExample -> ExampleStore),
// the validation split, class ids, and the per-epoch plan of sequences.
#include "engine/data/dataloader.h"

#include "engine/data/examplesource.h"
#include "engine/data/examplestore.h"
#include "engine/data/permutation.h"
#include "engine/data/sequencepacker.h"
#include "engine/data/tokenizingpipeline.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <numeric>

namespace engine::data {

namespace {

constexpr std::uint64_t kSplitSalt = 0x73706C6974ULL; // "split"

struct LoadCancelled
{
};

// Row starts (into `order`) of the sequences the packer makes; one extra end
// entry. Preference pairs are units of their own (order holds pair indices).
std::vector<std::uint32_t> planRows(
    const ExampleStore &store, const std::vector<std::uint32_t> &order, const DatasetConfig &config, bool pairs)
{
    if (pairs) {
        std::vector<std::uint32_t> starts(order.size() + 1);
        std::iota(starts.begin(), starts.end(), 0u);
        return starts;
    }
    SequencePacker packer(static_cast<std::size_t>(config.maxLength), config.packing);
    std::vector<std::uint32_t> starts;
    for (std::size_t i = 0; i < order.size(); ++i)
        if (packer.place(store.length(order[i])))
            starts.push_back(static_cast<std::uint32_t>(i));
    starts.push_back(static_cast<std::uint32_t>(order.size()));
    return starts;
}

bool isInteger(const std::string &s)
{
    if (s.empty())
        return false;
    char *end = nullptr;
    std::strtoll(s.c_str(), &end, 10);
    return *end == '\0';
}

// Class names in id order: the settings' list, else the distinct labels sorted (numerically if all are integers).
std::vector<std::string> classNames(const std::map<std::string, std::int32_t> &seen, const DatasetConfig &config)
{
    if (!config.labels.empty())
        return config.labels;
    std::vector<std::string> names;
    bool numeric = true;
    for (const auto &[name, index] : seen) {
        names.push_back(name);
        numeric = numeric && isInteger(name);
    }
    if (numeric)
        std::sort(names.begin(), names.end(),
            [](const std::string &a, const std::string &b) { return std::stoll(a) < std::stoll(b); });
    return names;
}

} // namespace

struct DataLoader::Impl
{
    DatasetConfig config;
    DataStats stats;
    ExampleStore train;
    ExampleStore validation;
    TokenId padId = 0;
    std::uint64_t fingerprint = 0;
    std::int64_t epoch = 0;
    std::int64_t position = 0;
    std::vector<std::uint32_t> order; // this epoch's example order
    std::vector<std::uint32_t> rowStarts; // sequences of this epoch, as starts into order
    std::vector<std::uint32_t> validationOrder;
    std::vector<std::uint32_t> validationRows;
    bool pairs = false; // preference data: examples 2p, 2p + 1 are pair p; order and rows count pairs

    std::size_t units(const ExampleStore &store) const { return pairs ? store.size() / 2 : store.size(); }

    void read(const std::string &path, const Tokenizer &tokenizer, const TemplateDetection *modelTemplate,
        const DataProgress &progress, ExampleStore &store, std::map<std::string, std::int32_t> &labels);
    void load(const Tokenizer &tokenizer, const TemplateDetection *modelTemplate, const DataProgress &progress);
    void split();
    void planEpoch();
    Batch batchOf(const ExampleStore &store, const std::vector<std::uint32_t> &rowOrder,
        const std::vector<std::uint32_t> &starts, std::int64_t first, std::int64_t count) const;
};

void DataLoader::Impl::read(const std::string &path, const Tokenizer &tokenizer, const TemplateDetection *modelTemplate,
    const DataProgress &progress, ExampleStore &store, std::map<std::string, std::int32_t> &labels)
{
    DatasetConfig readConfig = config;
    if (&store == &validation)
        readConfig.shape = stats.shape; // the validation file must have the training data's shape
    ExampleSource source(path, readConfig, modelTemplate, &tokenizer);
    if (&store == &train) {
        stats.shape = source.shape();
        stats.shapeReason = source.shapeReason();
        stats.chatTemplate = source.renderOptions().chatTemplate;
        stats.warnings = source.warnings();
    }
    tokenizeAll(source, tokenizer, static_cast<std::size_t>(config.maxLength),
        [&](const RenderedExample &rendered, const TokenizedExample &tokenized) {
            stats.truncatedRecords += tokenized.truncated;
            std::int32_t classId = -1;
            if (stats.shape == Shape::Classification) {
                const auto known = std::find(config.labels.begin(), config.labels.end(), rendered.label);
                if (!config.labels.empty() && known == config.labels.end())
                    throw Error(rendered.source + ":" + std::to_string(rendered.line) + ": label '" + rendered.label
                        + "' is not one of the labels in the dataset settings");
                classId = labels.emplace(rendered.label, static_cast<std::int32_t>(labels.size())).first->second;
            }
            store.add(tokenized, classId);
            if (progress && (store.size() & 1023) == 0 && !progress(source.bytesRead(), source.totalBytes()))
                throw LoadCancelled();
        });
    stats.skippedRecords += source.skipped();
    for (const std::string &message : source.skippedMessages())
        if (stats.skippedMessages.size() < kKeptSkipMessages)
            stats.skippedMessages.push_back(message);
}

void DataLoader::Impl::split()
{
    const std::size_t n = units(train);
    std::size_t k = static_cast<std::size_t>(static_cast<double>(n) * config.validationFraction + 0.5);
    if (config.validationFraction > 0 && k == 0)
        k = 1;
    if (k == 0)
        return;
    if (k >= n)
        throw Error("dataset '" + config.trainPath + "' has " + std::to_string(n)
            + " records, too few to hold out a validation share (hint: lower the validation fraction)");
    const std::vector<std::uint32_t> perm = shuffledIndices(n, mixSeed(config.seed, kSplitSalt));
    std::vector<std::uint32_t> held(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(k));
    std::vector<std::uint32_t> kept(perm.begin() + static_cast<std::ptrdiff_t>(k), perm.end());
    std::sort(held.begin(), held.end());
    std::sort(kept.begin(), kept.end());
    auto examples = [this](const std::vector<std::uint32_t> &chosen) {
        if (!pairs)
            return chosen;
        std::vector<std::uint32_t> both;
        for (const std::uint32_t pair : chosen)
            both.insert(both.end(), { 2 * pair, 2 * pair + 1 });
        return both;
    };
    validation = train.subset(examples(held));
    train = train.subset(examples(kept));
}

void DataLoader::Impl::load(
    const Tokenizer &tokenizer, const TemplateDetection *modelTemplate, const DataProgress &progress)
{
    std::map<std::string, std::int32_t> labels;
    read(config.trainPath, tokenizer, modelTemplate, progress, train, labels);
    pairs = stats.shape == Shape::Preference;
    if (!config.validationPath.empty())
        read(config.validationPath, tokenizer, modelTemplate, progress, validation, labels);
    else
        split();
    if (stats.shape == Shape::Classification) {
        stats.classNames = classNames(labels, config);
        std::vector<std::int32_t> map(labels.size());
        for (const auto &[name, raw] : labels)
            map[static_cast<std::size_t>(raw)] = static_cast<std::int32_t>(
                std::find(stats.classNames.begin(), stats.classNames.end(), name) - stats.classNames.begin());
        train.remapClasses(map);
        validation.remapClasses(map);
    }
    const SpecialTokens &special = tokenizer.specialTokens();
    padId = special.pad ? *special.pad : special.eos ? *special.eos : 0;
    stats.trainExamples = static_cast<std::int64_t>(units(train));
    stats.validationExamples = static_cast<std::int64_t>(units(validation));
    stats.trainTokens = train.tokens();
    stats.trainedTokens = train.trainedTokens();
    std::uint64_t settings = mixSeed(config.seed, static_cast<std::uint64_t>(config.maxLength));
    settings = mixSeed(settings, (config.packing ? 1u : 0u) | (config.shuffle ? 2u : 0u));
    fingerprint = mixSeed(train.hash(), settings);
    validationOrder.resize(units(validation));
    std::iota(validationOrder.begin(), validationOrder.end(), 0u);
    validationRows = planRows(validation, validationOrder, config, pairs);
    planEpoch();
    stats.sequencesPerEpoch = static_cast<std::int64_t>(rowStarts.size()) - 1;
}

void DataLoader::Impl::planEpoch()
{
    if (config.shuffle) {
        order = shuffledIndices(units(train), mixSeed(config.seed, static_cast<std::uint64_t>(epoch) + 1));
    } else {
        order.resize(units(train));
        std::iota(order.begin(), order.end(), 0u);
    }
    rowStarts = planRows(train, order, config, pairs);
}

Batch DataLoader::Impl::batchOf(const ExampleStore &store, const std::vector<std::uint32_t> &rowOrder,
    const std::vector<std::uint32_t> &starts, std::int64_t first, std::int64_t count) const
{
    std::vector<std::vector<std::uint32_t>> sequences;
    for (std::int64_t r = 0; r < count; ++r) {
        const auto row = static_cast<std::size_t>(first + r);
        if (pairs) { // the pair's chosen and rejected example, as two rows
            const std::uint32_t pair = rowOrder[starts[row]];
            sequences.push_back({ 2 * pair });
            sequences.push_back({ 2 * pair + 1 });
            continue;
        }
        sequences.emplace_back(rowOrder.begin() + starts[row], rowOrder.begin() + starts[row + 1]);
    }
    Batch batch = store.assemble(sequences, padId);
    batch.preferencePairs = pairs ? static_cast<int>(count) : 0;
    return batch;
}

DataLoader::DataLoader(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{ }
DataLoader::~DataLoader() = default;

Result<std::unique_ptr<DataLoader>> DataLoader::open(const DatasetConfig &config, const Tokenizer &tokenizer,
    const TemplateDetection *modelTemplate, const DataProgress &progress)
{
    try {
        return guard([&] {
            auto impl = std::make_unique<Impl>();
            impl->config = config;
            impl->load(tokenizer, modelTemplate, progress);
            if (impl->train.size() == 0)
                throw Error("dataset '" + config.trainPath + "' has no training records left");
            return std::unique_ptr<DataLoader>(new DataLoader(std::move(impl)));
        });
    } catch (const LoadCancelled &) {
        return Status::failure("loading the dataset was cancelled");
    }
}

Batch DataLoader::nextBatch(int batchSize)
{
    Impl &d = *m_impl;
    if (d.position >= sequencesPerEpoch()) {
        ++d.epoch;
        d.position = 0;
        d.planEpoch();
    }
    const std::int64_t count = std::min<std::int64_t>(std::max(batchSize, 1), sequencesPerEpoch() - d.position);
    Batch batch = d.batchOf(d.train, d.order, d.rowStarts, d.position, count);
    d.position += count;
    return batch;
}

DataCursor DataLoader::cursor() const
{
    return { m_impl->epoch, m_impl->position, m_impl->fingerprint };
}

Status DataLoader::restore(const DataCursor &cursor)
{
    Impl &d = *m_impl;
    if (cursor.fingerprint != d.fingerprint)
        return Status::failure("the checkpoint's data position belongs to other data or dataset settings (hint: "
                               "resume with the dataset and settings the run started with)");
    if (cursor.epoch < 0 || cursor.position < 0)
        return Status::failure("the checkpoint's data position is invalid");
    d.epoch = cursor.epoch;
    d.planEpoch();
    if (cursor.position > sequencesPerEpoch())
        return Status::failure("the checkpoint's data position lies beyond its epoch");
    d.position = cursor.position;
    return Status::success();
}

std::int64_t DataLoader::sequencesPerEpoch() const
{
    return static_cast<std::int64_t>(m_impl->rowStarts.size()) - 1;
}

std::int64_t DataLoader::batchesPerEpoch(int batchSize) const
{
    const std::int64_t b = std::max(batchSize, 1);
    return (sequencesPerEpoch() + b - 1) / b;
}

std::int64_t DataLoader::validationBatchCount(int batchSize) const
{
    const std::int64_t b = std::max(batchSize, 1);
    return (static_cast<std::int64_t>(m_impl->validationRows.size()) - 1 + b - 1) / b;
}

Batch DataLoader::validationBatch(std::int64_t index, int batchSize) const
{
    const Impl &d = *m_impl;
    const std::int64_t rows = static_cast<std::int64_t>(d.validationRows.size()) - 1;
    const std::int64_t b = std::max(batchSize, 1);
    const std::int64_t first = std::clamp<std::int64_t>(index * b, 0, rows);
    return d.batchOf(d.validation, d.validationOrder, d.validationRows, first, std::min(b, rows - first));
}

const DataStats &DataLoader::stats() const
{
    return m_impl->stats;
}

} // namespace engine::data

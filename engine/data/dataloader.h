// DataLoader: what the trainer uses. Reads and tokenizes the whole dataset
// once into a compact store (4 bytes per token), splits off validation data
// (a fraction, deterministic for the seed, or a separate file), and hands out
// training batches in a seeded order per epoch, packed or not, from a
// resumable cursor. Preference data is handled in pairs: a pair is one unit
// of the order, the split and the batch size, and becomes two rows (chosen,
// rejected); it is never packed. Not thread-safe: one trainer thread owns it. Qt-free and
// Torch-free (batches are plain vectors).
#pragma once

#include "engine/core/status.h"
#include "engine/data/batch.h"
#include "engine/data/chattemplatedetector.h"
#include "engine/data/datasetconfig.h"
#include "engine/tokenizer/tokenizer.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace engine::data {

// Reports bytes read of the total; return false to cancel.
using DataProgress = std::function<bool(std::uint64_t done, std::uint64_t total)>;

struct DataStats
{
    Shape shape = Shape::Text;
    std::string shapeReason; // why this shape was chosen
    ChatTemplate chatTemplate; // the template conversations were rendered with
    std::vector<std::string> warnings; // template fallbacks and the like
    std::int64_t trainExamples = 0; // records (preference: pairs)
    std::int64_t validationExamples = 0;
    std::int64_t skippedRecords = 0; // bad records skipped (skipBadRecords)
    std::vector<std::string> skippedMessages; // the first few of their messages
    std::int64_t truncatedRecords = 0; // examples longer than maxLength (train + validation)
    std::uint64_t trainTokens = 0; // per epoch, after truncation
    std::uint64_t trainedTokens = 0; // of those, tokens that carry loss
    std::int64_t sequencesPerEpoch = 0; // training sequences (rows; preference: pairs) per epoch
    std::vector<std::string> classNames; // classification: label names in id order
};

class DataLoader
{
public:
    // Reads config.trainPath (and validationPath), tokenizes every example and
    // prepares epoch 0. modelTemplate may be nullptr. The tokenizer is used
    // only during open(). Fails with a message naming the file and line of the
    // first bad record (unless skipping), or "cancelled" when progress said so.
    static Result<std::unique_ptr<DataLoader>> open(const DatasetConfig &config, const Tokenizer &tokenizer,
        const TemplateDetection *modelTemplate = nullptr, const DataProgress &progress = {});
    ~DataLoader();
    DataLoader(const DataLoader &) = delete;
    DataLoader &operator=(const DataLoader &) = delete;

    // The next batch of up to batchSize sequences (preference: pairs) at the cursor, which then
    // advances; the last batch of an epoch may be smaller, the next call
    // starts the next epoch (reshuffled with seed and epoch).
    Batch nextBatch(int batchSize);

    DataCursor cursor() const;
    // Continues exactly where `cursor` was taken; fails if it belongs to
    // other data or settings (fingerprint) or lies outside the epoch.
    Status restore(const DataCursor &cursor);

    std::int64_t sequencesPerEpoch() const;
    std::int64_t batchesPerEpoch(int batchSize) const;

    // Validation batches in file order (packed like training when packing is on).
    std::int64_t validationBatchCount(int batchSize) const;
    Batch validationBatch(std::int64_t index, int batchSize) const;

    const DataStats &stats() const;

    struct Impl;

private:
    explicit DataLoader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace engine::data

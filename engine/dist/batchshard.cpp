#include "engine/dist/batchshard.h"

#include <algorithm>

namespace engine {

namespace {

// Rows [first, last) of `batch`, with the trained tokens recounted.
data::Batch rowsOf(const data::Batch &batch, int first, int last)
{
    const auto columns = static_cast<std::size_t>(batch.columns);
    const auto begin = static_cast<std::ptrdiff_t>(static_cast<std::size_t>(first) * columns);
    const auto end = static_cast<std::ptrdiff_t>(static_cast<std::size_t>(last) * columns);
    data::Batch rows;
    rows.rows = last - first;
    rows.columns = batch.columns;
    rows.inputIds.assign(batch.inputIds.begin() + begin, batch.inputIds.begin() + end);
    rows.labels.assign(batch.labels.begin() + begin, batch.labels.begin() + end);
    rows.attentionMask.assign(batch.attentionMask.begin() + begin, batch.attentionMask.begin() + end);
    rows.positionIds.assign(batch.positionIds.begin() + begin, batch.positionIds.begin() + end);
    if (!batch.classLabels.empty())
        rows.classLabels.assign(batch.classLabels.begin() + first, batch.classLabels.begin() + last);
    for (std::size_t i = 0; i < rows.labels.size(); ++i)
        if (i % columns != 0 && rows.labels[i] != data::kIgnoreIndex)
            ++rows.trainedTokens; // the shifted loss skips each row's first position
    return rows;
}

} // namespace

BatchShard shardOf(const data::Batch &batch, int rank, int worldSize)
{
    BatchShard shard;
    if (worldSize <= 1) {
        shard.batch = batch;
        return shard;
    }
    const auto rows = static_cast<std::int64_t>(batch.rows);
    const auto first = static_cast<int>(rows * rank / worldSize);
    const auto last = static_cast<int>(rows * (rank + 1) / worldSize);
    shard.firstToken = static_cast<std::int64_t>(first) * batch.columns;
    if (first < last) {
        shard.batch = rowsOf(batch, first, last);
        return shard;
    }
    shard.placeholder = true;
    shard.firstToken = 0;
    shard.batch = rowsOf(batch, 0, std::min(1, batch.rows));
    std::fill(shard.batch.labels.begin(), shard.batch.labels.end(), data::kIgnoreIndex);
    std::fill(shard.batch.attentionMask.begin(), shard.batch.attentionMask.end(), 0);
    shard.batch.trainedTokens = 0;
    shard.batch.documents = 0;
    return shard;
}

} // namespace engine

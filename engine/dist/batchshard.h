// The rows of one global batch that a data-parallel rank trains on. Rank r of
// N takes the contiguous rows [B·r/N, B·(r+1)/N) and keeps the batch's T, so
// the dropout masks (keyed by position, see DropoutPosition) and the loss are
// those one process computes for the same rows. A rank left without rows (a
// small last batch of an epoch) gets a placeholder: row 0 with no trained
// token, so it runs the same forward passes — and draws the same dropout
// seeds — as the others while adding nothing to loss or gradients.
// Qt-free and Torch-free.
#pragma once

#include "engine/data/batch.h"

#include <cstdint>

namespace engine {

struct BatchShard
{
    data::Batch batch;          // this rank's rows, columns as in the whole batch
    std::int64_t firstToken = 0; // first row × T: where these rows start in the whole batch
    bool placeholder = false;   // no rows of its own: row 0 with every label −100
};

BatchShard shardOf(const data::Batch &batch, int rank, int worldSize);

} // namespace engine

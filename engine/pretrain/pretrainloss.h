// Internal (Torch): the language-modelling loss of pretraining. Batches of
// token windows become (B, T) tensors; the loss is the mean cross-entropy of
// logits at t against labels at t + 1, skipping -100; the validation loss
// averages over every predicted token of a whole stream (not over batches).
#pragma once

#include "engine/data/batch.h"
#include "engine/model/causallmnet.h"

#include <torch/torch.h>

#include <utility>
#include <vector>

namespace engine {

// Shape letters: B rows, T tokens per row, V vocabulary.

// (input ids, labels), both (B, T) int64.
std::pair<torch::Tensor, torch::Tensor> batchTensors(const data::Batch &batch);

// logits (B, T, V), labels (B, T) -> scalar mean over labels[:, 1:] != -100.
torch::Tensor shiftedCrossEntropy(const torch::Tensor &logits, const torch::Tensor &labels);

// Mean loss per predicted token over `stream` cut into windows of `context`
// tokens (PretrainCorpus windows), evaluated `batchSize` windows at a time
// without gradients. 0 for a stream of fewer than 2 tokens.
double validationLoss(CausalLmNetImpl &net, const std::vector<TokenId> &stream, std::int64_t context, int batchSize);

} // namespace engine

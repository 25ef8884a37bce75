// Internal (Torch): the causal language-model loss as transformers computes
// it: position t's logits predict the label at t + 1; labels of -100 carry no
// loss. Returns the SUM over counted tokens so callers can normalise over a
// whole optimizer step (several micro-batches) or an evaluation.
// Shape letters: B = batch, T = tokens, V = vocabulary.
#pragma once

#include <torch/torch.h>

namespace engine {

// logits (B, T, V) f32, labels (B, T) int64 → scalar sum of token losses.
torch::Tensor causalLmLossSum(const torch::Tensor &logits, const torch::Tensor &labels);

// Per predicted position: (B, T − 1) losses, 0 where the label is -100.
torch::Tensor causalLmTokenLosses(const torch::Tensor &logits, const torch::Tensor &labels);

} // namespace engine

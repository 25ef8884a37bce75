// Internal (Torch): the causal language-model loss as transformers computes
// it: position t's logits predict the label at t + 1; labels of -100 carry no
// loss. Returns the SUM over counted tokens so callers can normalise over a
// whole optimizer step (several micro-batches) or an evaluation.
// Shape letters: B = batch, T = tokens, V = vocabulary.
#pragma once

#include "engine/model/causallm.h"

#include <torch/torch.h>

namespace engine {

// logits (B, T, V) f32, labels (B, T) int64 → scalar sum of token losses.
torch::Tensor causalLmLossSum(const torch::Tensor &logits, const torch::Tensor &labels);

// Per predicted position: (B, T − 1) losses, 0 where the label is -100.
torch::Tensor causalLmTokenLosses(const torch::Tensor &logits, const torch::Tensor &labels);

// The training loss without the logits of every position at once: runs the
// network to its final hidden states, then computes logits, loss and their
// gradient for a chunk of positions at a time (at most kLossChunkElements
// logits), adds the chunks' gradients of the hidden states, and
// back-propagates that through the network once. Only positions whose label
// counts get logits at all (a chat example's prompt tokens do not), and the
// loss gradient comes from one softmax pass. Gradients accumulate into
// the trainable parameters as (loss sum × scale).backward() would; returns
// loss sum × scale. Peak memory holds one chunk's logits instead of
// three (B, T, V) tensors (logits, log-probabilities, their gradient); on
// CUDA too, where the chunk's logits come out of lm_head in bf16 (autocast)
// and only that chunk is widened to f32, and the loss is read back once per
// call instead of once per chunk. chunkElements 0: kLossChunkElements on the
// CPU (a chunk that stays in cache), kCudaLossChunkElements on a GPU, where
// fewer, larger chunks mean fewer launches and larger matrix products (GPT-2's
// 50k vocabulary at B 16 x T 1024: 7 chunks instead of 50).
constexpr std::int64_t kLossChunkElements = 16 * 1024 * 1024;      // 64 MB of f32 logits
constexpr std::int64_t kCudaLossChunkElements = 128 * 1024 * 1024; // 512 MB of f32 logits
double causalLmLossBackward(const CausalLm &model, const torch::Tensor &ids, const torch::Tensor &labels,
                            double scale, std::int64_t chunkElements = 0);

// Logits rows per chunk for `model` on the device of `hidden` (chunkElements 0: by device, as above).
std::int64_t lossChunkRows(const CausalLm &model, const torch::Tensor &hidden, std::int64_t chunkElements = 0);

// The last step of the chunked losses: back-propagates the gradient gathered
// in `predicting` (the detached leaf of hidden's first T − 1 positions,
// (B·(T−1), H)) through the network that produced `hidden` (B, T, H).
void backwardFromPredicting(const torch::Tensor &hidden, const torch::Tensor &predicting);

} // namespace engine

// Internal (Torch): gradient checkpointing of a decoder layer. The layer runs
// without keeping its activations; the backward pass runs it again from its
// saved input, with the random generator of the input's device rewound to
// where the first run started (so dropout masks repeat exactly), and
// back-propagates through that second run. Trades one extra forward pass per
// layer for keeping only each layer's input between forward and backward.
#pragma once

#include <torch/torch.h>

#include <functional>

namespace engine {

using LayerFn = std::function<torch::Tensor(const torch::Tensor &)>;

// layer(input), checkpointed when autograd is recording; a plain call otherwise.
torch::Tensor checkpointedLayer(const LayerFn &layer, const torch::Tensor &input);

} // namespace engine

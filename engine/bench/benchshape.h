// Internal (Torch-free): the model shapes of the training benchmark and the
// FLOPs one LoRA training step needs on them. Shapes are ModelConfig values
// built in code (no config.json): "tiny" (a 2-layer Llama with grouped-query
// attention, seconds per run), "gpt2-124m" (GPT-2 small) and "llama-160m"
// (the JackFram/llama-160m sizes with 4 key/value heads instead of 12).
#pragma once

#include "engine/model/modelconfig.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace engine {

const std::vector<std::string> &benchShapeList();

// The shape's configuration, or nullopt for an unknown name.
std::optional<ModelConfig> benchShape(const std::string &name);

// Model FLOPs of one training step with frozen base weights and LoRA adapters:
// forward 2·W and backward 2·W per token for every frozen projection (W = its
// weight count, lm_head included; the input gradient only, no weight gradient),
// 6·P per token for the P adapter parameters, and 12·L·T·(nh·hd) per token for
// the attention products QKᵀ and PV over the full T×T square as computed.
// Element-wise work (norms, softmax, activations, optimizer) is not counted.
double trainingFlopsPerStep(const ModelConfig &config, std::int64_t batch, std::int64_t tokens,
    std::int64_t projectionWeights, std::int64_t loraParameters);

} // namespace engine

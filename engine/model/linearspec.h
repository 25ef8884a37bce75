// The projections (linear layers) of a model, described from its config alone:
// Hugging Face module name, decoder layer, input and output features, bias.
// The Torch networks build exactly these (a test checks it); LoRA target
// matching, parameter counts and memory estimates use this list. Torch-free.
#pragma once

#include "engine/model/modelconfig.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

struct LinearSpec
{
    std::string name; // e.g. "model.layers.3.self_attn.q_proj", "transformer.h.0.attn.c_attn", "lm_head"
    int layer = -1; // decoder layer index, -1 for lm_head
    std::int64_t inFeatures = 0;
    std::int64_t outFeatures = 0;
    bool bias = false;
    bool conv1d = false; // GPT-2 Conv1D layout ([in, out] weight)
};

// Every projection of the model described by `config`, in module order
// (layer by layer, then lm_head).
std::vector<LinearSpec> linearSpecs(const ModelConfig &config);

// The short name of a projection: the part after the layer prefix
// ("self_attn.q_proj", "attn.c_attn", "lm_head").
std::string linearShortName(const std::string &fullName);

} // namespace engine

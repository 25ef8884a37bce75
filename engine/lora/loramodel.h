// Internal (Torch): the LoRA adapters of a model. inject() picks the target
// projections by the LoraConfig's rules (PEFT's suffix matching, a regex, or
// all-linear; layers_to_transform; rank/alpha patterns), attaches a LoraLayer
// to each and lists them in module order. Parameter names follow PEFT without
// the "base_model.model." prefix: "<module>.lora_A.weight", "<module>.lora_B.weight",
// "<module>.lora_magnitude_vector". Does not own the base model.
#pragma once

#include "engine/lora/loraconfig.h"
#include "engine/lora/loralayer.h"
#include "engine/model/causallm.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace engine {

struct AdaptedMatrix
{
    std::string name;   // Hugging Face module name, e.g. "model.layers.3.self_attn.q_proj"
    std::string kind;   // its last component, e.g. "q_proj"
    int layer = -1;     // decoder layer index, -1 outside the layers
    LoraLayer lora;
};

class LoraModel
{
public:
    // Attaches adapters to `model`'s matching projections. Throws engine::Error
    // when a target matches nothing (the hint lists the model's projections).
    static LoraModel inject(const CausalLm &model, const LoraConfig &config, std::uint64_t seed);

    const std::vector<AdaptedMatrix> &matrices() const { return m_matrices; }
    const LoraConfig &config() const { return m_config; }

    // Trainable tensors with PEFT-style names, in a stable order.
    std::vector<std::pair<std::string, torch::Tensor>> namedParameters() const;
    std::vector<torch::Tensor> parameters() const;
    std::int64_t parameterCount() const;

    void setTraining(bool training); // dropout on/off
    bool isTraining() const;
    // Off: every adapted projection computes its base output alone (the adapter is kept).
    void setEnabled(bool enabled);
    void merge();
    void unmerge();
    // Detaches every adapter from the base model (the base is unchanged unless merged).
    void detach();

    // Copies values from `tensors` (names as namedParameters()); every adapter
    // tensor must be present with the right shape. Throws engine::Error naming it.
    void loadTensors(const std::vector<std::pair<std::string, torch::Tensor>> &tensors);

private:
    LoraConfig m_config;
    std::vector<AdaptedMatrix> m_matrices;
};

// Default targets when LoraConfig::targetModules is empty (PEFT's per-family defaults).
std::vector<std::string> defaultLoraTargets(const ModelConfig &config);

} // namespace engine

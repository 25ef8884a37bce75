// Internal (Torch): PEFT adapter folders, the format of Lorafit's checkpoints
// and of its PEFT export. savePeftAdapter writes adapter_config.json and
// adapter_model.safetensors (keys "base_model.model.<module>.lora_A.weight",
// ".lora_B.weight", ".lora_magnitude_vector"), each file atomically.
// loadPeftAdapter injects the adapter described by a folder (ours or another
// tool's) into a loaded model and fills its tensors. No model card, no merge.
#pragma once

#include "engine/io/tensordtype.h"
#include "engine/lora/loramodel.h"
#include "engine/lora/peftconfig.h"
#include "engine/model/causallm.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace engine {

// The prefix PEFT puts before every module name in adapter_model.safetensors.
inline constexpr const char *kPeftKeyPrefix = "base_model.model.";

// The adapter tensors under their PEFT file names, converted to `dtype`
// (F32, F16 or BF16; throws for Q8_0), on the CPU.
std::vector<std::pair<std::string, torch::Tensor>> peftTensors(const LoraModel &lora, TensorDtype dtype);

// The LoraConfig as written to adapter_config.json: all-linear and default
// targets resolved to the module kinds actually adapted, so every loader
// (vLLM, LoRAX) sees an explicit list.
LoraConfig resolvedPeftConfig(const LoraModel &lora);

// Creates `folder` if needed and writes adapter_config.json and
// adapter_model.safetensors into it (each atomically). Throws engine::Error.
void savePeftAdapter(const std::string &folder, const LoraModel &lora, const PeftAdapterInfo &info,
                     TensorDtype dtype = TensorDtype::F32);

// Reads <folder>/adapter_config.json, injects the adapter into `model` and
// loads <folder>/adapter_model.safetensors (any float dtype; keys with or
// without "base_model.model." and PEFT's ".default" adapter name). Throws
// engine::Error naming the file and tensor on a missing, extra or misshapen
// tensor. The model keeps the adapter attached until LoraModel::detach().
LoraModel loadPeftAdapter(const std::string &folder, const CausalLm &model);

// The tensors of <folder>/adapter_model.safetensors under `lora`'s parameter
// names (f32), checked against `lora`: every key must be a LoRA tensor of an
// adapted module. For LoraModel::loadTensors, which checks the shapes.
std::vector<std::pair<std::string, torch::Tensor>> readPeftAdapterTensors(const std::string &folder,
                                                                          const LoraModel &lora);

// Maps a key of adapter_model.safetensors to LoraModel's parameter name
// ("<module>.lora_A.weight", ...); "" when the key is not a LoRA tensor.
std::string loraParameterName(const std::string &peftKey);

} // namespace engine

// PEFT's adapter_config.json for a LoRA adapter, both ways: writes the fields
// PEFT, vLLM, LoRAX and llama.cpp's converter read (and no invented ones, so
// older PEFT versions load it too), and reads files written by PEFT itself
// into a LoraConfig (unknown keys ignored; options Lorafit cannot reproduce,
// such as modules_to_save or a LoRA bias, are refused with a hint). Torch-free.
#pragma once

#include "engine/core/status.h"
#include "engine/lora/loraconfig.h"

#include <string>

namespace engine {

// What adapter_config.json says beyond the LoRA settings.
struct PeftAdapterInfo
{
    std::string baseModel; // base_model_name_or_path: a hub id or a local folder ("" writes null)
    std::string modelType; // the base model's model_type; "gpt2" sets fan_in_fan_out (Conv1D)
};

// File names inside a PEFT adapter folder.
inline constexpr const char *kPeftConfigName = "adapter_config.json";
inline constexpr const char *kPeftWeightsName = "adapter_model.safetensors";

// adapter_config.json text (indent 2, sorted keys, as PEFT writes it).
// Suffix targets are written as a list (the family default when empty),
// a regex as a string, all-linear as "all-linear".
std::string peftAdapterConfigJson(const LoraConfig &config, const PeftAdapterInfo &info);

// Parses adapter_config.json text; `source` names the file in messages.
// `info`, when given, receives base_model_name_or_path (and no model type:
// the file does not say it).
Result<LoraConfig> parsePeftAdapterConfig(const std::string &json, const std::string &source,
                                          PeftAdapterInfo *info = nullptr);

// Reads <folder>/adapter_config.json.
Result<LoraConfig> readPeftAdapterConfig(const std::string &folder, PeftAdapterInfo *info = nullptr);

} // namespace engine

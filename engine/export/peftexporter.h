// Internal (Torch): the PEFT adapter folder export: adapter_config.json,
// adapter_model.safetensors in f32, f16 or bf16, and a README.md model card.
// Loaded by PEFT, vLLM, LoRAX and llama.cpp's convert_lora_to_gguf.py.
#pragma once

#include "engine/export/exporter.h"

namespace engine {

class PeftExporter : public Exporter
{
public:
    ExportFormatInfo info() const override;
    std::vector<std::string> preflight(const ExportContext &context) const override;
    std::vector<std::string> warnings(const ExportContext &context) const override;
    std::uint64_t estimatedBytes(const ExportContext &context) const override;
    std::vector<std::string> write(const ExportContext &context, const std::string &folder) const override;
};

} // namespace engine

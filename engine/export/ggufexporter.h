// Internal (Torch): the GGUF LoRA adapter for llama.cpp (`llama-cli --lora`),
// following convert_lora_to_gguf.py: general.type "adapter", adapter.type
// "lora", adapter.lora.alpha, the base architecture's tensor names with
// ".weight.lora_a" / ".weight.lora_b", A as [r, in] and B as [out, r], and
// lora_b rows of q/k permuted for the llama architecture (Llama, Mistral).
// llama.cpp scales every pair by alpha/rank, so each module's real scaling
// (rsLoRA, rank/alpha patterns) is folded into lora_b. f32, f16, bf16 or
// q8_0 (tensors whose rows are not a multiple of 32 fall back to f16).
// DoRA and PiSSA cannot be expressed and are refused in pre-flight.
#pragma once

#include "engine/export/exporter.h"

namespace engine {

class GgufExporter : public Exporter
{
public:
    ExportFormatInfo info() const override;
    std::vector<std::string> preflight(const ExportContext &context) const override;
    std::vector<std::string> warnings(const ExportContext &context) const override;
    std::uint64_t estimatedBytes(const ExportContext &context) const override;
    std::vector<std::string> write(const ExportContext &context, const std::string &folder) const override;

    // llama.cpp's architecture name for a model_type ("" when unsupported).
    static std::string architecture(const std::string &modelType);
    // The GGUF base tensor name of a Hugging Face module ("" when unmapped),
    // e.g. "model.layers.3.self_attn.q_proj" -> "blk.3.attn_q.weight".
    static std::string tensorName(const std::string &modelType, const std::string &module);
    // The file name written into the folder, e.g. "tiny-F16-LoRA.gguf".
    static std::string fileName(const ExportContext &context);
    static std::string fileName(const std::string &baseFolder, TensorDtype dtype);
};

} // namespace engine

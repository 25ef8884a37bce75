// Internal (Torch): the merged model export: a Hugging Face model folder whose
// weights are the base's with every adapter folded in (W + s·B·A, transposed
// for GPT-2's Conv1D; DoRA as (m/‖W + s·B·A‖)·(W + s·B·A)), in f32, f16 or
// bf16, sharded with model.safetensors.index.json above a size limit. The
// base folder's config, tokenizer, generation and licence files are copied
// (config.json's torch_dtype updated). One shard is in memory at a time.
#pragma once

#include "engine/export/exporter.h"

namespace engine {

class MergedExporter : public Exporter
{
public:
    ExportFormatInfo info() const override;
    TensorDtype defaultDtype(const ExportContext &context) const override;
    std::vector<std::string> preflight(const ExportContext &context) const override;
    std::uint64_t estimatedBytes(const ExportContext &context) const override;
    std::vector<std::string> write(const ExportContext &context, const std::string &folder) const override;
};

} // namespace engine

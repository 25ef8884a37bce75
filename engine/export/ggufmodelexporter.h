// Internal (Torch): the whole model as one GGUF file for llama.cpp, Ollama and
// LM Studio, following convert_hf_to_gguf.py: the base model with the adapter
// merged in (or the base alone, ExportRequest::mergeAdapter false), llama.cpp's
// architecture keys and hyper-parameters, its tensor names (GPT-2's Conv1D
// weights transposed; llama/mistral q/k rows permuted for llama.cpp's rotary
// layout; a tied output left out, as llama.cpp reuses token_embd; PiSSA's
// base alone read from the files, not its residual in memory), llama3
// rope factors as rope_freqs, the tokenizer and chat template (ggufvocab.h),
// and an Ollama Modelfile next to it (ollamamodelfile.h). f32, f16, bf16 or
// q8_0; 1-D tensors stay f32. Tensors are converted one at a time while the
// file is written, under a temporary name renamed at the end.
#pragma once

#include "engine/export/exporter.h"

namespace engine {

class GgufModelExporter : public Exporter
{
public:
    ExportFormatInfo info() const override;
    TensorDtype defaultDtype(const ExportContext &context) const override;
    std::vector<std::string> preflight(const ExportContext &context) const override;
    std::vector<std::string> warnings(const ExportContext &context) const override;
    std::uint64_t estimatedBytes(const ExportContext &context) const override;
    std::vector<std::string> write(const ExportContext &context, const std::string &folder) const override;

    // The GGUF name of a Hugging Face parameter ("" when llama.cpp has none),
    // e.g. "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight".
    static std::string tensorName(const std::string &modelType, const std::string &parameter);
    // The .gguf file name, e.g. "demo-F16.gguf".
    static std::string fileName(const ExportContext &context);
};

} // namespace engine

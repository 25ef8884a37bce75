// What a model folder holds, for people and for the UI: architecture, sizes,
// parameter count, stored dtype, weight bytes, projections, tokenizer and chat
// template files, plus a training-memory estimate. Reads config.json and the
// safetensors headers only (no weights are loaded). Torch-free.
#pragma once

#include "engine/core/status.h"
#include "engine/model/linearspec.h"
#include "engine/model/modelconfig.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

struct ModelInfo
{
    std::string folder;
    ModelConfig config; // the parsed config.json
    std::string architecture; // e.g. "LlamaForCausalLM"
    std::string modelType; // e.g. "llama"
    std::int64_t layers = 0;
    std::int64_t hiddenSize = 0;
    std::int64_t heads = 0;
    std::int64_t kvHeads = 0;
    std::int64_t headDim = 0;
    std::int64_t intermediateSize = 0;
    std::int64_t vocabSize = 0;
    std::int64_t maxPositions = 0;
    bool tiedEmbeddings = false;
    std::int64_t parameterCount = 0; // elements of all weight tensors in the files (buffers excluded)
    std::string storedDtype; // dtype(s) of the weights in the files, e.g. "BF16" or "F32, F16"
    std::uint64_t weightBytes = 0; // bytes of those tensors in the files
    std::vector<std::string> weightFiles; // safetensors file names (one, or the shards)
    std::vector<LinearSpec> linears; // every projection (LoRA candidates), in module order
    std::vector<std::string> linearNames; // distinct short names, e.g. "self_attn.q_proj", "mlp.down_proj", "lm_head"
    bool hasTokenizerJson = false; // tokenizer.json present
    bool hasTokenizerConfig = false; // tokenizer_config.json present
    bool hasChatTemplate = false; // "chat_template" in tokenizer_config.json or chat_template.jinja present
    std::string chatTemplateSource; // "chat_template.jinja", "tokenizer_config.json" or ""
};

// Memory needed to train a LoRA adapter on the model, in bytes (an estimate).
struct MemoryEstimate
{
    std::uint64_t baseWeightBytes = 0; // frozen weights held as f32 (decoder projections as NF4 if asked)
    std::int64_t loraParameters = 0; // rank * (in + out) over the decoder projections
    std::uint64_t loraStateBytes = 0; // LoRA weights + gradients + AdamW moments, f32
    std::uint64_t activationBytes = 0; // activations kept for backward, incl. logits
    std::uint64_t totalBytes = 0;
};

// Inspects `folder`; fails with the reason (missing or invalid config.json,
// unsupported model_type, damaged or missing safetensors, pickle-only folder).
Result<ModelInfo> inspectModel(const std::string &folder);

// Estimate for LoRA of `rank` on every projection inside the decoder layers
// (lm_head excluded), `batch` sequences of `seqLength` tokens, activations in
// `computeDtype` ("f32", "bf16" or "f16"; anything else counts as f32). With
// gradient checkpointing only each layer's input is kept, plus one layer's
// activations while it is recomputed. nf4Base: the decoder projections are
// stored as NF4 with double quantisation (4.127 bits per weight).
MemoryEstimate estimateTrainingMemory(const ModelInfo &info, std::int64_t batch, std::int64_t seqLength,
    std::int64_t rank, const std::string &computeDtype = "f32", bool gradientCheckpointing = false,
    bool nf4Base = false);

} // namespace engine

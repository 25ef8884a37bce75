// Checking a written export before saying "done": load it back (a PEFT
// adapter onto its base, a merged model folder, or a GGUF adapter onto its
// base) and compute the mean loss on token batches, for the caller to compare
// with the value it measured in the app (lossesAgree: 1e-4 relative). The
// loss is the causal LM one: logits at t predict labels at t+1, labels -100
// ignored, averaged over all counted tokens of all batches. Batches must be
// unpacked (one example per row). Torch-free; runs on the caller's thread.
#pragma once

#include "engine/core/status.h"
#include "engine/data/batch.h"
#include "engine/io/tensordtype.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace engine {

struct LossReport
{
    double meanLoss = 0.0;          // total loss / tokens
    std::int64_t tokens = 0;        // labels counted (positions >= 1, label != -100)
    std::vector<double> batchLosses; // mean loss of each batch (NaN for a batch without counted tokens)
};

// The loss of `baseFolder` with the PEFT adapter in `adapterFolder` applied.
Result<LossReport> adapterLoss(const std::string &baseFolder, const std::string &adapterFolder,
                               const std::vector<data::Batch> &batches);

// The loss of the model in `modelFolder` alone (a base or a merged export).
Result<LossReport> modelLoss(const std::string &modelFolder, const std::vector<data::Batch> &batches);

// The loss of `baseFolder` with the GGUF LoRA adapter `ggufFile` (as Lorafit
// writes it) applied the way llama.cpp applies it: lora_b·lora_a·alpha/rank,
// with the llama architecture's q/k row permutation undone.
Result<LossReport> ggufAdapterLoss(const std::string &baseFolder, const std::string &ggufFile,
                                   const std::vector<data::Batch> &batches);

// The loss of the GGUF model `ggufFile` (as GgufModelExporter writes it),
// loaded by Lorafit into the network of `baseFolder`'s config: the q/k row
// permutation and GPT-2's transposes undone, f16/bf16/q8_0 dequantised. The
// whole file is read into memory. (tests/engine/export/test_llamacpp runs the
// same files in the real llama.cpp.)
Result<LossReport> ggufModelLoss(const std::string &baseFolder, const std::string &ggufFile,
                                 const std::vector<data::Batch> &batches);

// The loss of one file an export wrote, when it is the root of an export:
// adapter_model.safetensors (a PEFT folder), config.json (a merged model),
// a .gguf adapter (*-LoRA.gguf) or a .gguf model; nullopt for every other
// file (tokenizer, card, shards, Modelfile).
std::optional<Result<LossReport>> exportedFileLoss(const std::string &baseFolder, const std::string &writtenFile,
                                                   const std::vector<data::Batch> &batches);

// True for a .gguf whole model (not a *-LoRA.gguf adapter). Exported with
// ExportRequest::mergeAdapter false it holds the base alone, to be compared
// with the base's loss (modelLoss of the base folder) instead of the checkpoint's.
bool isGgufModelFile(const std::string &writtenFile);

// The export a written root file stands for: its folder, or the .gguf file itself.
std::string exportedRoot(const std::string &writtenFile);

// |a − b| <= relative · max(|a|, |b|).
bool lossesAgree(double a, double b, double relative = 1e-4);

// The relative tolerance of an export's loss check: 1e-4 for tensors written
// as f32, 1e-2 for f16, bf16 and q8_0.
double exportLossTolerance(TensorDtype written);

} // namespace engine

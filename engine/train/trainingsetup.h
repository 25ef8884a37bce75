// Internal (Torch): everything a training run loads before its first step —
// the device, the base model, its tokenizer and chat template, the data, the
// memory check, the LoRA adapters and the LoRA+ optimizer — plus the helpers
// the loop uses to turn plain batches into tensors and to evaluate. The loop
// itself is in trainer.cpp.
// Shape letters: B = sequences, T = tokens.
#pragma once

#include "engine/data/dataloader.h"
#include "engine/dist/rankgroup.h"
#include "engine/lora/loramodel.h"
#include "engine/model/causallm.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/train/loraplusoptimizer.h"
#include "engine/train/preferenceloss.h"
#include "engine/train/runsettings.h"
#include "engine/train/trainer.h"

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace engine {

struct TrainingSetup
{
    torch::Device device = torch::kCPU;
    std::unique_ptr<Tokenizer> tokenizer;
    std::unique_ptr<data::DataLoader> data;
    std::optional<CausalLm> model;
    std::optional<LoraModel> lora;
    std::unique_ptr<LoraPlusOptimizer> optimizer;
    std::vector<torch::Tensor> parameters; // trainable, in LoraModel::namedParameters() order
    TrainingPlan plan;
    std::optional<PreferenceSettings> preference; // DPO / ORPO runs
    std::unique_ptr<PreferenceReference> reference; // DPO: made by the trainer once the adapters have their start values
};

// `log` receives readable progress notes; `cancelled` is polled while reading data.
// Throws engine::Error with the reason (bad device, model, data, or not enough memory).
TrainingSetup loadTrainingSetup(const RunSettings &settings, const std::string &outputFolder,
    const std::function<void(const std::string &)> &log, const std::function<bool()> &cancelled);

// "cpu" / "cuda" / "cuda:N" → a device LibTorch has; throws with a hint otherwise.
torch::Device parseDevice(const std::string &text);

// Optimizer steps of the run: maxSteps, or epochs × micro-batches per epoch / accumulation.
std::int64_t plannedSteps(const TrainingConfig &training, const data::DataLoader &data);

// A batch's ids and labels as (B, T) int64 tensors on `device`.
struct BatchTensors
{
    torch::Tensor ids;
    torch::Tensor labels;
    std::int64_t inputTokens = 0; // non-padding tokens
};
BatchTensors toTensors(const data::Batch &batch, const torch::Device &device);

// Mean validation loss per trained token (preference objectives: per pair,
// with the pairs' figures in *preference) over `batches` batches (0 = all),
// adapters in eval mode; NaN without validation data. Returns nullopt if
// `cancelled` said so. With `ranks`, each rank evaluates its rows of every
// batch and the sums are shared.
std::optional<double> evaluate(TrainingSetup &setup, int batchSize, int batches, const std::function<bool()> &cancelled,
    RankGroup *ranks = nullptr, PreferenceTotals *preference = nullptr);

// A fixed probe sequence for the δ-terms: (1, ≤ 128) ids from the validation split,
// else the first training sequence (the data cursor is left where it was).
torch::Tensor probeIds(data::DataLoader &data, const torch::Device &device);

} // namespace engine

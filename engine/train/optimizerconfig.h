// Optimizer and learning-rate schedule settings: AdamW with the LoRA+ parameter
// groups (B matrices and 1-D parameters at λ × the base rate), λ fixed or set
// by a controller from the measured δ-terms ("auto"), or the Riemannian
// preconditioned variant with one rate; and a schedule that scales every group
// by the same factor. Torch-free.
#pragma once

#include "engine/core/status.h"

#include <cstdint>
#include <string>

namespace engine {

enum class Schedule { Constant, Linear, Cosine };

// adamw: AdamW over the LoRA+ groups. riemannian: the gradients of every A and
// B are first preconditioned by the r×r matrices (BᵀB + εI)⁻¹ and (AAᵀ + εI)⁻¹
// (Zhang & Pilanci, ICML 2024), then AdamW updates all at one rate.
enum class OptimizerKind { AdamW, Riemannian };

// What one automatic λ covers: every B matrix, or each module type (q_proj, …).
enum class RatioScope { Global, Module };

// The key of the one λ of RatioScope::Global (a module type's key is its name).
inline constexpr const char *kGlobalRatioKey = "all";

struct OptimizerConfig
{
    double learningRate = 2e-4;          // η_A: base rate of the A matrices
    OptimizerKind kind = OptimizerKind::AdamW; // "name" in the settings
    double loraPlusRatio = 16.0;         // λ = η_B / η_A; 1 is plain LoRA; automatic: the start ("loraplus_ratio_start")
    bool autoRatio = false;              // "loraplus_ratio": "auto": λ follows the δ-terms (LambdaController)
    RatioScope ratioScope = RatioScope::Global; // what one automatic λ covers
    double riemannianDamping = 1e-6;     // ε of the Riemannian preconditioner (the paper's value)
    double embeddingLearningRate = 1e-6; // rate of embedding adapters (LoRA+ default)
    double beta1 = 0.9;                  // AdamW β1
    double beta2 = 0.999;                // AdamW β2
    double epsilon = 1e-8;               // AdamW ε
    double weightDecay = 0.0;            // decoupled decay (groups A, B, embedding; never B-no-decay)
    Schedule schedule = Schedule::Linear; // shape after warmup
    double warmupRatio = 0.03;           // warmup as a fraction of the total steps
    std::int64_t warmupSteps = -1;       // if >= 0, overrides warmupRatio
    double minLearningRateRatio = 0.0;   // floor of the cosine/linear decay, as a fraction of the peak
    double maxGradNorm = 1.0;            // global-norm clipping; 0 disables it

    Status validate() const;
    std::int64_t warmupFor(std::int64_t totalSteps) const;
    std::string toJson() const;
    static Result<OptimizerConfig> fromJson(const std::string &json, const std::string &source = "optimizer settings");
};

// Multiplier of every group's base rate at optimizer step `step` (0-based: the
// factor used for the update that makes step+1) of `totalSteps`. Linear warmup
// from 1/(warmup+1) to 1, then constant, linear or cosine decay towards the floor.
double scheduleFactor(const OptimizerConfig &config, std::int64_t step, std::int64_t totalSteps);

const char *scheduleName(Schedule schedule);
const char *optimizerKindName(OptimizerKind kind);
const char *ratioScopeName(RatioScope scope);

} // namespace engine

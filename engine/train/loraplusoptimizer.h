// Internal (Torch): AdamW with the LoRA+ parameter groups (methods.md §0.2,
// §1.4): every lora_B and every 1-D trainable parameter at λ·lr (split into
// decay and no-decay: biases and norm weights decay 0), embedding adapters at
// their own rate, everything else (lora_A, 2-D heads) at lr. The schedule
// factor scales all groups together. λ = 1 is plain LoRA. An automatic λ
// (setRatios) may differ per module type: then each type's B matrices are a
// group of their own. The riemannian kind preconditions every A/B pair's
// gradients before the AdamW step and trains all groups at lr.
#pragma once

#include "engine/train/optimizerconfig.h"
#include "engine/train/stepmetrics.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace engine {

enum class LoraPlusGroup { A, Embedding, B, BNoDecay };

const char *loraPlusGroupName(LoraPlusGroup group);

// The rule of create_loraplus_optimizer. ownerIsLoraEmbedding: the parameter
// belongs to a LoRA adapter on an embedding; insideNorm: it belongs to a
// LayerNorm/RMSNorm.
LoraPlusGroup classifyParameter(const std::string &name, const torch::Tensor &parameter,
                                bool ownerIsLoraEmbedding = false, bool insideNorm = false);

// The module type a parameter belongs to: "q_proj" for
// "model.layers.0.self_attn.q_proj.lora_B.weight" (AdaptedMatrix::kind).
std::string moduleKindOf(const std::string &parameterName);

// The Riemannian preconditioning of one LoRA pair's gradients, in place:
// ∇A ← (BᵀB + εI)⁻¹ ∇A and ∇B ← ∇B (AAᵀ + εI)⁻¹, with A (r, in), B (out, r),
// computed in at least f32 from the factors before the step.
void preconditionLoraGradients(const torch::Tensor &a, const torch::Tensor &b, double damping);

class LoraPlusOptimizer
{
public:
    struct Group
    {
        LoraPlusGroup kind;
        std::string ratioKey;    // B groups: the λ they follow ("all", or a module type); empty otherwise
        double baseLearningRate; // before the schedule factor
        double weightDecay;
        std::vector<std::string> names;
    };

    // named: the trainable parameters. Names containing "norm" count as norm
    // parameters; "lora_embedding" as embedding adapters.
    LoraPlusOptimizer(const std::vector<std::pair<std::string, torch::Tensor>> &named, const OptimizerConfig &config);

    // Sets every group's lr to its base rate × factor.
    void setScheduleFactor(double factor);
    // New λ for the B groups by key (keys not listed take `otherRatio`); the
    // base rates change, the schedule factor applies from the next
    // setScheduleFactor.
    void setRatios(const std::vector<std::pair<std::string, double>> &ratios, double otherRatio);
    // The update: preconditioned gradients first for the riemannian kind, then AdamW.
    void step();
    // Per lora_B matrix (in the order given to the constructor), with the
    // step's final gradients and before step(): the cosine between the
    // gradient g and the direction of the previous AdamW update u = m/(√v + ε)
    // (the moments after the last step). Positive: the new gradient still
    // agrees with where B has been moving, so a larger step would have helped;
    // negative: B overshoots. NaN before the first step or for a zero gradient.
    std::vector<float> gradientAgreement() const;
    void zeroGrad();

    const std::vector<Group> &groups() const { return m_groups; }
    std::vector<GroupLearningRate> learningRates() const;
    torch::optim::AdamW &adamw() { return *m_adamw; }

private:
    OptimizerConfig m_config;
    std::vector<Group> m_groups; // non-empty groups, in A, Embedding, B, BNoDecay order
    std::vector<std::pair<torch::Tensor, torch::Tensor>> m_pairs; // (A, B) of each adapter: riemannian only
    std::vector<torch::Tensor> m_loraB;                            // every lora_B matrix, constructor order
    std::unique_ptr<torch::optim::AdamW> m_adamw;
};

} // namespace engine

// Internal (Torch): AdamW with the LoRA+ parameter groups (methods.md §0.2,
// §1.4): every lora_B and every 1-D trainable parameter at λ·lr (split into
// decay and no-decay: biases and norm weights decay 0), embedding adapters at
// their own rate, everything else (lora_A, 2-D heads) at lr. The schedule
// factor scales all groups together, so λ stays fixed. λ = 1 is plain LoRA.
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

class LoraPlusOptimizer
{
public:
    struct Group
    {
        LoraPlusGroup kind;
        double baseLearningRate; // before the schedule factor
        double weightDecay;
        std::vector<std::string> names;
    };

    // named: the trainable parameters. Names containing "norm" count as norm
    // parameters; "lora_embedding" as embedding adapters.
    LoraPlusOptimizer(const std::vector<std::pair<std::string, torch::Tensor>> &named, const OptimizerConfig &config);

    // Sets every group's lr to its base rate × factor.
    void setScheduleFactor(double factor);
    void step();
    void zeroGrad();

    const std::vector<Group> &groups() const { return m_groups; }
    std::vector<GroupLearningRate> learningRates() const;
    torch::optim::AdamW &adamw() { return *m_adamw; }

private:
    std::vector<Group> m_groups; // non-empty groups, in A, Embedding, B, BNoDecay order
    std::unique_ptr<torch::optim::AdamW> m_adamw;
};

} // namespace engine

#include "engine/train/loraplusoptimizer.h"

#include "engine/core/status.h"

namespace engine {

const char *loraPlusGroupName(LoraPlusGroup group)
{
    switch (group) {
    case LoraPlusGroup::A: return "A";
    case LoraPlusGroup::Embedding: return "embedding";
    case LoraPlusGroup::B: return "B";
    case LoraPlusGroup::BNoDecay: return "B_no_decay";
    }
    return "A";
}

LoraPlusGroup classifyParameter(const std::string &name, const torch::Tensor &parameter, bool ownerIsLoraEmbedding,
                                bool insideNorm)
{
    if (ownerIsLoraEmbedding)
        return LoraPlusGroup::Embedding;
    if (name.find("lora_B") != std::string::npos || parameter.dim() == 1) {
        const bool decay = !insideNorm && name.find("bias") == std::string::npos;
        return decay ? LoraPlusGroup::B : LoraPlusGroup::BNoDecay;
    }
    return LoraPlusGroup::A;
}

LoraPlusOptimizer::LoraPlusOptimizer(const std::vector<std::pair<std::string, torch::Tensor>> &named,
                                     const OptimizerConfig &config)
{
    if (Status status = config.validate(); !status)
        throw Error(status.message());
    const LoraPlusGroup order[] = {LoraPlusGroup::A, LoraPlusGroup::Embedding, LoraPlusGroup::B, LoraPlusGroup::BNoDecay};
    std::vector<torch::Tensor> tensors[4];
    std::vector<std::string> names[4];
    for (const auto &[name, parameter] : named) {
        if (!parameter.requires_grad())
            continue;
        const bool embedding = name.find("lora_embedding") != std::string::npos;
        const bool norm = name.find("norm") != std::string::npos && name.find("lora_") == std::string::npos;
        const auto group = static_cast<int>(classifyParameter(name, parameter, embedding, norm));
        tensors[group].push_back(parameter);
        names[group].push_back(name);
    }
    std::vector<torch::optim::OptimizerParamGroup> paramGroups;
    for (int i = 0; i < 4; ++i) {
        if (tensors[i].empty())
            continue;
        const LoraPlusGroup kind = order[i];
        const double lr = kind == LoraPlusGroup::A ? config.learningRate
            : kind == LoraPlusGroup::Embedding     ? config.embeddingLearningRate
                                                   : config.learningRate * config.loraPlusRatio;
        const double decay = kind == LoraPlusGroup::BNoDecay ? 0.0 : config.weightDecay;
        auto options = std::make_unique<torch::optim::AdamWOptions>(lr);
        options->betas({config.beta1, config.beta2}).eps(config.epsilon).weight_decay(decay);
        paramGroups.emplace_back(tensors[i], std::move(options));
        m_groups.push_back({kind, lr, decay, names[i]});
    }
    if (paramGroups.empty())
        throw Error("nothing to train: no parameter requires a gradient (hint: check the LoRA targets)");
    torch::optim::AdamWOptions defaults(config.learningRate);
    defaults.betas({config.beta1, config.beta2}).eps(config.epsilon).weight_decay(config.weightDecay);
    m_adamw = std::make_unique<torch::optim::AdamW>(std::move(paramGroups), defaults);
}

void LoraPlusOptimizer::setScheduleFactor(double factor)
{
    auto &paramGroups = m_adamw->param_groups();
    for (std::size_t i = 0; i < paramGroups.size(); ++i)
        static_cast<torch::optim::AdamWOptions &>(paramGroups[i].options()).lr(m_groups[i].baseLearningRate * factor);
}

void LoraPlusOptimizer::step()
{
    m_adamw->step();
}

void LoraPlusOptimizer::zeroGrad()
{
    m_adamw->zero_grad();
}

std::vector<GroupLearningRate> LoraPlusOptimizer::learningRates() const
{
    std::vector<GroupLearningRate> rates;
    const auto &paramGroups = m_adamw->param_groups();
    for (std::size_t i = 0; i < paramGroups.size(); ++i)
        rates.push_back({loraPlusGroupName(m_groups[i].kind),
                         static_cast<const torch::optim::AdamWOptions &>(paramGroups[i].options()).lr()});
    return rates;
}

} // namespace engine

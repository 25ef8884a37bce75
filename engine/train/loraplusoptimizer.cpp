#include "engine/train/loraplusoptimizer.h"

#include "engine/core/status.h"
#include "engine/core/torchcompat.h"

#include <cmath>
#include <map>

namespace engine {

namespace {

// The parameters of one group that step together (same step count), with
// their gradients and moments.
struct StepBatch
{
    std::vector<torch::Tensor> parameters, gradients, averages, squareAverages;
};

// One step of every group with the multi-tensor (_foreach_) ops: the
// arithmetic of torch::optim::AdamW::step element for element (decoupled
// weight decay, then the moments, then the bias-corrected update), in about
// ten launches per group instead of ten per parameter; on a GPU, LoRA's
// hundred-odd small tensors otherwise spend the step launching kernels. The
// moments live in the AdamW object's own state, so checkpoints (which read
// that state) and resume are unchanged.
void foreachAdamWStep(torch::optim::AdamW &adamw)
{
    torch::NoGradGuard noGrad;
    auto &states = adamw.state();
    for (auto &group : adamw.param_groups()) {
        const auto &options = static_cast<const torch::optim::AdamWOptions &>(group.options());
        const double lr = options.lr(), decay = options.weight_decay(), eps = options.eps();
        const double beta1 = std::get<0>(options.betas()), beta2 = std::get<1>(options.betas());
        std::map<std::int64_t, StepBatch> batches; // by step count: one batch unless a parameter once had no gradient
        for (const torch::Tensor &parameter : group.params()) {
            if (!parameter.grad().defined())
                continue;
            const auto key = torchcompat::optimizerStateKey(parameter);
            auto found = states.find(key);
            if (found == states.end()) {
                auto state = std::make_unique<torch::optim::AdamWParamState>();
                state->step(0);
                state->exp_avg(torch::zeros_like(parameter, torch::MemoryFormat::Preserve));
                state->exp_avg_sq(torch::zeros_like(parameter, torch::MemoryFormat::Preserve));
                states[key] = std::move(state);
                found = states.find(key);
            }
            auto &state = static_cast<torch::optim::AdamWParamState &>(*found->second);
            state.step(state.step() + 1);
            StepBatch &batch = batches[state.step()];
            batch.parameters.push_back(parameter);
            batch.gradients.push_back(parameter.grad());
            batch.averages.push_back(state.exp_avg());
            batch.squareAverages.push_back(state.exp_avg_sq());
        }
        for (auto &[step, batch] : batches) {
            const double correction1 = 1.0 - std::pow(beta1, static_cast<double>(step));
            const double correction2 = 1.0 - std::pow(beta2, static_cast<double>(step));
            if (decay != 0.0)
                at::_foreach_mul_(batch.parameters, 1.0 - lr * decay);
            at::_foreach_mul_(batch.averages, beta1);
            at::_foreach_add_(batch.averages, batch.gradients, 1.0 - beta1);
            at::_foreach_mul_(batch.squareAverages, beta2);
            at::_foreach_addcmul_(batch.squareAverages, batch.gradients, batch.gradients, 1.0 - beta2);
            std::vector<torch::Tensor> denominators = at::_foreach_sqrt(batch.squareAverages);
            at::_foreach_div_(denominators, std::sqrt(correction2));
            at::_foreach_add_(denominators, eps);
            at::_foreach_addcdiv_(batch.parameters, batch.averages, denominators, -lr / correction1);
        }
    }
}

} // namespace

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
    foreachAdamWStep(*m_adamw);
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

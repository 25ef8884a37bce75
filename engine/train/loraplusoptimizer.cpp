#include "engine/train/loraplusoptimizer.h"

#include "engine/core/status.h"
#include "engine/core/torchcompat.h"

#include <cmath>
#include <algorithm>
#include <map>
#include <tuple>

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

std::string moduleKindOf(const std::string &parameterName)
{
    std::string module = parameterName;
    for (const char *suffix : { ".lora_A.weight", ".lora_B.weight", ".lora_magnitude_vector", ".weight", ".bias" }) {
        const std::string tail(suffix);
        if (module.size() > tail.size() && module.compare(module.size() - tail.size(), tail.size(), tail) == 0) {
            module.resize(module.size() - tail.size());
            break;
        }
    }
    const std::size_t dot = module.rfind('.');
    return dot == std::string::npos ? module : module.substr(dot + 1);
}

void preconditionLoraGradients(const torch::Tensor &a, const torch::Tensor &b, double damping)
{
    torch::NoGradGuard noGrad;
    torch::Tensor gradA = a.grad(), gradB = b.grad();
    if (!gradA.defined() && !gradB.defined())
        return;
    const auto dtype = a.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
    const torch::Tensor af = a.detach().to(dtype), bf = b.detach().to(dtype);
    const torch::Tensor eye = torch::eye(a.size(0), af.options()).mul_(damping); // (R, R)
    if (gradA.defined()) {                                                          // (R, I)
        const torch::Tensor metric = bf.t().mm(bf).add_(eye);                       // BᵀB + εI
        gradA.copy_(torch::linalg_solve(metric, gradA.to(dtype)));
    }
    if (gradB.defined()) {                                                          // (O, R)
        const torch::Tensor metric = af.mm(af.t()).add_(eye);                       // AAᵀ + εI, symmetric
        gradB.copy_(torch::linalg_solve(metric, gradB.to(dtype).t()).t());
    }
}

LoraPlusOptimizer::LoraPlusOptimizer(const std::vector<std::pair<std::string, torch::Tensor>> &named,
                                     const OptimizerConfig &config)
    : m_config(config)
{
    if (Status status = config.validate(); !status)
        throw Error(status.message());
    const bool riemannian = config.kind == OptimizerKind::Riemannian;
    const bool perModule = config.autoRatio && config.ratioScope == RatioScope::Module;
    const double ratio = riemannian ? 1.0 : config.loraPlusRatio;
    // Groups by (kind, λ key), in A, Embedding, B, BNoDecay order and then by first appearance.
    std::vector<std::tuple<LoraPlusGroup, std::string, std::vector<torch::Tensor>, std::vector<std::string>>> found;
    std::map<std::string, torch::Tensor> loraA;
    for (const auto &[name, parameter] : named) {
        if (!parameter.requires_grad())
            continue;
        const bool embedding = name.find("lora_embedding") != std::string::npos;
        const bool norm = name.find("norm") != std::string::npos && name.find("lora_") == std::string::npos;
        const LoraPlusGroup kind = classifyParameter(name, parameter, embedding, norm);
        const bool followsRatio = kind == LoraPlusGroup::B || kind == LoraPlusGroup::BNoDecay;
        const std::string key = !followsRatio ? std::string() : perModule ? moduleKindOf(name) : std::string(kGlobalRatioKey);
        auto group = std::find_if(found.begin(), found.end(),
            [&](const auto &g) { return std::get<0>(g) == kind && std::get<1>(g) == key; });
        if (group == found.end()) {
            found.emplace_back(kind, key, std::vector<torch::Tensor>{}, std::vector<std::string>{});
            group = found.end() - 1;
        }
        std::get<2>(*group).push_back(parameter);
        std::get<3>(*group).push_back(name);
        if (name.find(".lora_B.weight") != std::string::npos && parameter.dim() == 2)
            m_loraB.push_back(parameter);
        if (const std::size_t at = name.find(".lora_A.weight"); at != std::string::npos && parameter.dim() == 2)
            loraA[name.substr(0, at)] = parameter;
        if (const std::size_t at = name.find(".lora_B.weight"); at != std::string::npos && parameter.dim() == 2 && riemannian)
            if (const auto a = loraA.find(name.substr(0, at)); a != loraA.end())
                m_pairs.emplace_back(a->second, parameter);
    }
    std::stable_sort(found.begin(), found.end(),
        [](const auto &x, const auto &y) { return static_cast<int>(std::get<0>(x)) < static_cast<int>(std::get<0>(y)); });
    std::vector<torch::optim::OptimizerParamGroup> paramGroups;
    for (auto &[kind, key, tensors, names] : found) {
        const double lr = kind == LoraPlusGroup::A ? config.learningRate
            : kind == LoraPlusGroup::Embedding     ? config.embeddingLearningRate
                                                   : config.learningRate * ratio;
        const double decay = kind == LoraPlusGroup::BNoDecay ? 0.0 : config.weightDecay;
        auto options = std::make_unique<torch::optim::AdamWOptions>(lr);
        options->betas({config.beta1, config.beta2}).eps(config.epsilon).weight_decay(decay);
        paramGroups.emplace_back(tensors, std::move(options));
        m_groups.push_back({kind, key, lr, decay, names});
    }
    if (paramGroups.empty())
        throw Error("nothing to train: no parameter requires a gradient (hint: check the LoRA targets)");
    torch::optim::AdamWOptions defaults(config.learningRate);
    defaults.betas({config.beta1, config.beta2}).eps(config.epsilon).weight_decay(config.weightDecay);
    m_adamw = std::make_unique<torch::optim::AdamW>(std::move(paramGroups), defaults);
}

void LoraPlusOptimizer::setRatios(const std::vector<std::pair<std::string, double>> &ratios, double otherRatio)
{
    for (Group &group : m_groups) {
        if (group.ratioKey.empty())
            continue;
        double ratio = otherRatio;
        for (const auto &[key, value] : ratios)
            if (key == group.ratioKey)
                ratio = value;
        group.baseLearningRate = m_config.learningRate * ratio;
    }
}

void LoraPlusOptimizer::setScheduleFactor(double factor)
{
    auto &paramGroups = m_adamw->param_groups();
    for (std::size_t i = 0; i < paramGroups.size(); ++i)
        static_cast<torch::optim::AdamWOptions &>(paramGroups[i].options()).lr(m_groups[i].baseLearningRate * factor);
}

void LoraPlusOptimizer::step()
{
    for (const auto &[a, b] : m_pairs)
        preconditionLoraGradients(a, b, m_config.riemannianDamping);
    foreachAdamWStep(*m_adamw);
}

std::vector<float> LoraPlusOptimizer::gradientAgreement() const
{
    torch::NoGradGuard noGrad;
    std::vector<float> agreement(m_loraB.size(), kNotMeasured);
    std::vector<torch::Tensor> dots, norms;
    std::vector<std::size_t> measured;
    const auto &states = m_adamw->state();
    for (std::size_t i = 0; i < m_loraB.size(); ++i) {
        const torch::Tensor &gradient = m_loraB[i].grad();
        const auto found = states.find(torchcompat::optimizerStateKey(m_loraB[i]));
        if (!gradient.defined() || found == states.end())
            continue;
        const auto &state = static_cast<const torch::optim::AdamWParamState &>(*found->second);
        const torch::Tensor direction = state.exp_avg() / (state.exp_avg_sq().sqrt() + m_config.epsilon);
        dots.push_back((gradient * direction).sum());
        norms.push_back(gradient.norm() * direction.norm());
        measured.push_back(i);
    }
    if (measured.empty())
        return agreement;
    const torch::Tensor cosines = (torch::stack(dots) / torch::stack(norms)).to(torch::kCPU, torch::kFloat); // one sync
    for (std::size_t k = 0; k < measured.size(); ++k)
        agreement[measured[k]] = cosines[static_cast<std::int64_t>(k)].item<float>();
    return agreement;
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
        rates.push_back({m_groups[i].ratioKey.empty() || m_groups[i].ratioKey == kGlobalRatioKey
                             ? std::string(loraPlusGroupName(m_groups[i].kind))
                             : std::string(loraPlusGroupName(m_groups[i].kind)) + "_" + m_groups[i].ratioKey,
                         static_cast<const torch::optim::AdamWOptions &>(paramGroups[i].options()).lr()});
    return rates;
}

} // namespace engine

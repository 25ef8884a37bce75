#include "engine/lora/loramodel.h"

#include "engine/core/status.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

namespace engine {

namespace {

bool endsWithComponent(const std::string &name, const std::string &suffix)
{
    if (name == suffix)
        return true;
    return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0
        && name[name.size() - suffix.size() - 1] == '.';
}

std::string lastComponent(const std::string &name)
{
    const auto dot = name.rfind('.');
    return dot == std::string::npos ? name : name.substr(dot + 1);
}

std::string projectionKinds(const std::vector<NamedLinear> &linears)
{
    std::vector<std::string> kinds;
    for (const auto &linear : linears) {
        const std::string kind = lastComponent(linear.name);
        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
            kinds.push_back(kind);
    }
    std::string text;
    for (const auto &kind : kinds)
        text += (text.empty() ? "" : ", ") + kind;
    return text;
}

std::vector<NamedLinear> selectTargets(const CausalLm &model, const LoraConfig &config)
{
    const std::vector<NamedLinear> linears = model.linearModules();
    const std::string family = model.config().modelType;
    std::vector<NamedLinear> chosen;
    if (config.targetMode == TargetMode::AllLinear) {
        for (const auto &linear : linears)
            if (lastComponent(linear.name) != "lm_head")
                chosen.push_back(linear);
    } else if (config.targetMode == TargetMode::Regex) {
        const std::regex pattern(config.targetRegex);
        for (const auto &linear : linears)
            if (std::regex_match(linear.name, pattern))
                chosen.push_back(linear);
        if (chosen.empty())
            throw Error("LoRA target regex '" + config.targetRegex + "' matched no module (hint: this " + family
                        + " model's projections are named like '" + (linears.empty() ? "" : linears.front().name)
                        + "'; kinds: " + projectionKinds(linears) + ")");
    } else {
        const std::vector<std::string> targets =
            config.targetModules.empty() ? defaultLoraTargets(model.config()) : config.targetModules;
        for (const auto &target : targets) {
            const bool any = std::any_of(linears.begin(), linears.end(),
                                         [&](const NamedLinear &l) { return endsWithComponent(l.name, target); });
            if (!any)
                throw Error("LoRA target '" + target + "' matched no module (hint: this " + family
                            + " model's projections are " + projectionKinds(linears) + ")");
        }
        for (const auto &linear : linears)
            if (std::any_of(targets.begin(), targets.end(),
                            [&](const std::string &t) { return endsWithComponent(linear.name, t); }))
                chosen.push_back(linear);
    }
    if (!config.layersToTransform.empty()) {
        const std::set<int> layers(config.layersToTransform.begin(), config.layersToTransform.end());
        chosen.erase(std::remove_if(chosen.begin(), chosen.end(),
                                    [&](const NamedLinear &l) { return !layers.count(l.layer); }),
                     chosen.end());
        if (chosen.empty())
            throw Error("lora.layers_to_transform: no targeted module lies in the chosen layers (hint: this model has "
                        "layers 0 to " + std::to_string(model.config().numLayers - 1) + ")");
    }
    return chosen;
}

} // namespace

std::vector<std::string> defaultLoraTargets(const ModelConfig &config)
{
    if (config.isGpt2())
        return {"c_attn"};
    if (config.fusedProjections) // PEFT's default for phi3
        return {"qkv_proj"};
    return {"q_proj", "v_proj"};
}

LoraModel LoraModel::inject(const CausalLm &model, const LoraConfig &config, std::uint64_t seed)
{
    if (Status status = config.validate(); !status)
        throw Error(status.message());
    LoraModel result;
    result.m_config = config;
    torch::Generator generator = at::detail::createCPUGenerator(seed);
    for (const NamedLinear &target : selectTargets(model, config)) {
        if (target.module->adapter())
            throw Error("module '" + target.name + "' already has an adapter (hint: detach the previous one first)");
        LoraLayer lora(target.module, config.rankFor(target.name), config.scalingFor(target.name), config.dropout,
                       config.init, config.dora, generator);
        lora->to(target.module->weight.device());
        target.module.ptr()->setAdapter(lora.ptr());
        result.m_matrices.push_back({target.name, lastComponent(target.name), target.layer, lora});
    }
    return result;
}

std::vector<std::pair<std::string, torch::Tensor>> LoraModel::namedParameters() const
{
    std::vector<std::pair<std::string, torch::Tensor>> named;
    for (const auto &m : m_matrices) {
        named.emplace_back(m.name + ".lora_A.weight", m.lora->A);
        named.emplace_back(m.name + ".lora_B.weight", m.lora->B);
        if (m.lora->isDora())
            named.emplace_back(m.name + ".lora_magnitude_vector", m.lora->magnitude);
    }
    return named;
}

std::vector<torch::Tensor> LoraModel::parameters() const
{
    std::vector<torch::Tensor> tensors;
    for (auto &[name, tensor] : namedParameters())
        tensors.push_back(tensor);
    return tensors;
}

std::int64_t LoraModel::parameterCount() const
{
    std::int64_t count = 0;
    for (const auto &tensor : parameters())
        count += tensor.numel();
    return count;
}

void LoraModel::setTraining(bool training)
{
    for (auto &m : m_matrices)
        m.lora->train(training);
}

bool LoraModel::isTraining() const
{
    return !m_matrices.empty() && m_matrices.front().lora->is_training();
}

void LoraModel::setEnabled(bool enabled)
{
    for (auto &m : m_matrices)
        m.lora->setEnabled(enabled);
}

void LoraModel::merge()
{
    for (auto &m : m_matrices)
        m.lora->merge();
}

void LoraModel::unmerge()
{
    for (auto &m : m_matrices)
        m.lora->unmerge();
}

void LoraModel::detach()
{
    for (auto &m : m_matrices)
        if (m.lora->base()->adapter().get() == m.lora.get())
            m.lora->base().ptr()->setAdapter(nullptr);
}

void LoraModel::loadTensors(const std::vector<std::pair<std::string, torch::Tensor>> &tensors)
{
    std::map<std::string, torch::Tensor> byName(tensors.begin(), tensors.end());
    torch::NoGradGuard noGrad;
    for (auto &[name, parameter] : namedParameters()) {
        const auto it = byName.find(name);
        if (it == byName.end())
            throw Error("adapter tensor '" + name + "' is missing (hint: the adapter was trained with other targets "
                        "or another rank)");
        if (it->second.sizes() != parameter.sizes())
            throw Error("adapter tensor '" + name + "' has shape " + c10::str(it->second.sizes()) + ", expected "
                        + c10::str(parameter.sizes()) + " (hint: the adapter was trained with another rank or model)");
        parameter.copy_(it->second);
    }
}

} // namespace engine

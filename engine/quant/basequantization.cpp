#include "engine/quant/basequantization.h"

namespace engine {

namespace {

// Applies `store` to every decoder projection not yet stored otherwise, counting bytes before and after.
template <typename Store>
BaseQuantization storeProjections(const CausalLm &model, Store &&store)
{
    BaseQuantization summary;
    for (const NamedLinear &linear : model.linearModules()) {
        if (linear.layer < 0 || linear.module->isTied() || linear.module->isQuantized())
            continue;
        summary.weights += linear.module->inFeatures() * linear.module->outFeatures();
        summary.bytesBefore += linear.module->weightBytes();
        store(*linear.module.ptr());
        summary.bytesAfter += linear.module->weightBytes();
        ++summary.projections;
    }
    return summary;
}

} // namespace

BaseQuantization quantizeBaseNf4(const CausalLm &model, const Nf4Options &options)
{
    return storeProjections(model, [&](LinearImpl &linear) { linear.quantizeNf4(options); });
}

BaseQuantization storeBaseBf16(const CausalLm &model)
{
    return storeProjections(model, [](LinearImpl &linear) { linear.storeBf16(); });
}

std::string resolveBaseWeights(const std::string &baseWeights, bool cuda)
{
    if (baseWeights == "auto")
        return cuda ? "bf16" : "f32";
    return baseWeights;
}

} // namespace engine

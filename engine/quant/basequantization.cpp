#include "engine/quant/basequantization.h"

namespace engine {

BaseQuantization quantizeBaseNf4(const CausalLm &model, const Nf4Options &options)
{
    BaseQuantization summary;
    for (const NamedLinear &linear : model.linearModules()) {
        if (linear.layer < 0 || linear.module->isTied() || linear.module->isQuantized())
            continue;
        summary.weights += linear.module->inFeatures() * linear.module->outFeatures();
        summary.bytesBefore += linear.module->weightBytes();
        linear.module.ptr()->quantizeNf4(options);
        summary.bytesAfter += linear.module->weightBytes();
        ++summary.projections;
    }
    return summary;
}

BaseQuantization storeBaseBf16(const CausalLm &model)
{
    BaseQuantization summary;
    for (const NamedLinear &linear : model.linearModules()) {
        if (linear.layer < 0 || linear.module->isTied() || linear.module->isQuantized())
            continue;
        summary.weights += linear.module->inFeatures() * linear.module->outFeatures();
        summary.bytesBefore += linear.module->weightBytes();
        linear.module.ptr()->storeBf16();
        summary.bytesAfter += linear.module->weightBytes();
        ++summary.projections;
    }
    return summary;
}

std::string resolveBaseWeights(const std::string &baseWeights, bool cuda)
{
    if (baseWeights == "auto")
        return cuda ? "bf16" : "f32";
    return baseWeights;
}

} // namespace engine

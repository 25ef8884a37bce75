#include "engine/train/computeprecision.h"

#include "engine/core/torchcompat.h"

namespace engine {

namespace {

constexpr int kFirstBf16Capability = 80; // Ampere

} // namespace

bool cudaBf16Autocast(const torch::Device &device)
{
    if (!device.is_cuda())
        return false;
    return torchcompat::cudaComputeCapability(device.index() < 0 ? 0 : device.index()).value_or(0)
        >= kFirstBf16Capability;
}

std::string computePrecisionNote(const torch::Device &device)
{
    if (!device.is_cuda())
        return {};
    if (cudaBf16Autocast(device))
        return device.str() + " computes in bf16 (autocast); adapters and optimizer state stay f32";
    const int capability = torchcompat::cudaComputeCapability(device.index() < 0 ? 0 : device.index()).value_or(0);
    return "warning: " + device.str() + " (compute capability " + std::to_string(capability / 10) + "."
        + std::to_string(capability % 10) + ") has no bf16, so training runs in f32 on it: slower and with more "
        "memory than on a GPU with bf16 (hint: store the base in 4 bits with training.base_weights \"nf4\" or enable "
        "gradient checkpointing if memory runs short)";
}

} // namespace engine

#include "engine/core/torchcompat.h"

#include "engine/core/status.h"

#if defined(LORAFIT_TORCH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace engine::torchcompat {

std::string headerVersion()
{
    return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "."
        + std::to_string(TORCH_VERSION_PATCH);
}

torch::Tensor sdpaCausal(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v)
{
#if LORAFIT_TORCH_AT_LEAST(2, 5)
    const bool grouped = q.size(1) != k.size(1);
    // (mask, dropout, causal, scale = 1/√hd, enable_gqa)
    return at::scaled_dot_product_attention(q, k, v, {}, 0.0, true, {}, grouped); // (B, nh, T, hd)
#elif LORAFIT_TORCH_AT_LEAST(2, 0)
    const std::int64_t groups = q.size(1) / k.size(1);
    const torch::Tensor keys = groups > 1 ? k.repeat_interleave(groups, 1) : k;   // (B, nh, T, hd)
    const torch::Tensor values = groups > 1 ? v.repeat_interleave(groups, 1) : v; // (B, nh, T, hd)
    return at::scaled_dot_product_attention(q, keys, values, {}, 0.0, true); // (B, nh, T, hd)
#else
    (void)q;
    (void)k;
    (void)v;
    throw Error("internal error: scaled_dot_product_attention needs LibTorch 2.0 or newer, this build has "
        + headerVersion() + " (hint: check torchcompat::kHasSdpa before calling)");
#endif
}

#if defined(LORAFIT_TORCH_CUDA)

namespace {

// Index 0 of the allocator's stat arrays is StatType::AGGREGATE (all pools)
// in every version; the enum's namespace moved in 2.x, the index did not.
constexpr std::size_t kAggregate = 0;

auto deviceStats(int device)
{
    return c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
}

} // namespace

bool builtWithCuda()
{
    return true;
}

std::optional<std::int64_t> cudaPeakAllocatedBytes(int device)
{
    return deviceStats(device).allocated_bytes[kAggregate].peak;
}

std::optional<std::int64_t> cudaPeakReservedBytes(int device)
{
    return deviceStats(device).reserved_bytes[kAggregate].peak;
}

void resetCudaPeakMemory(int device)
{
    c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
}

void emptyCudaCache()
{
    c10::cuda::CUDACachingAllocator::emptyCache();
}

std::optional<int> cudaComputeCapability(int device)
{
    const cudaDeviceProp *properties = at::cuda::getDeviceProperties(device);
    return properties->major * 10 + properties->minor;
}

#else // a LibTorch without CUDA: nothing to measure

bool builtWithCuda()
{
    return false;
}

std::optional<std::int64_t> cudaPeakAllocatedBytes(int)
{
    return std::nullopt;
}

std::optional<std::int64_t> cudaPeakReservedBytes(int)
{
    return std::nullopt;
}

void resetCudaPeakMemory(int) { }

void emptyCudaCache() { }

std::optional<int> cudaComputeCapability(int)
{
    return std::nullopt;
}

#endif

} // namespace engine::torchcompat

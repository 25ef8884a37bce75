// Internal (Torch): the one place where LibTorch versions differ. Every API
// whose name or arguments changed between Debian's 1.13 and current 2.x goes
// through here, behind TORCH_VERSION_MAJOR/MINOR guards, so no other engine
// file needs an #if on the Torch version. CUDA-only calls (caching-allocator
// statistics, device properties) live in torchcompat.cpp, which includes the
// CUDA headers only when the Torch found by CMake has CUDA
// (LORAFIT_TORCH_CUDA); without it they report "not available" instead.
// Shape letters: B = batch, nh = query heads, nkv = key/value heads,
// T = queries, S = keys, hd = head width.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>

// True when the LibTorch headers are version major.minor or newer.
#define LORAFIT_TORCH_AT_LEAST(major, minor) \
    (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace engine::torchcompat {

// at::scaled_dot_product_attention (fused flash / memory-efficient kernels on
// CUDA) exists from 2.0; its enable_gqa argument (key/value heads shared by
// groups of query heads, without copying them) from 2.5.
constexpr bool kHasSdpa = LORAFIT_TORCH_AT_LEAST(2, 0);
constexpr bool kSdpaHasGqa = LORAFIT_TORCH_AT_LEAST(2, 5);

// The "major.minor.patch" of the headers this file was compiled against.
std::string headerVersion();

// --- autocast (thread-local state) -------------------------------------------------------------
// 1.13 … 2.3: set_enabled / set_autocast_gpu_dtype; 2.4 deprecated them for
// the per-device set_autocast_enabled(at::kCUDA, …) / set_autocast_dtype.

inline bool cudaAutocastEnabled()
{
#if LORAFIT_TORCH_AT_LEAST(2, 4)
    return at::autocast::is_autocast_enabled(at::kCUDA);
#else
    return at::autocast::is_enabled();
#endif
}

inline at::ScalarType cudaAutocastDtype()
{
#if LORAFIT_TORCH_AT_LEAST(2, 4)
    return at::autocast::get_autocast_dtype(at::kCUDA);
#else
    return at::autocast::get_autocast_gpu_dtype();
#endif
}

inline void setCudaAutocast(bool enabled, at::ScalarType dtype)
{
#if LORAFIT_TORCH_AT_LEAST(2, 4)
    at::autocast::set_autocast_dtype(at::kCUDA, dtype);
    at::autocast::set_autocast_enabled(at::kCUDA, enabled);
#else
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
#endif
}

// --- optimizers --------------------------------------------------------------------------------
// torch::optim keeps each parameter's state in a map keyed by its TensorImpl:
// by the address printed as a string up to 1.x, by the address itself in 2.x.

using OptimizerStateKey = std::remove_cv_t<
    std::remove_reference_t<decltype(std::declval<torch::optim::Optimizer &>().state())>>::key_type;

// (A template, so that only the branch of the LibTorch in use is compiled.)
template <typename Key = OptimizerStateKey>
Key optimizerStateKey(const torch::Tensor &parameter)
{
    if constexpr (std::is_same_v<Key, std::string>) {
        std::ostringstream key; // as c10::guts::to_string, which 2.x dropped
        key << parameter.unsafeGetTensorImpl();
        return key.str();
    } else {
        return static_cast<Key>(parameter.unsafeGetTensorImpl());
    }
}

// --- attention ---------------------------------------------------------------------------------

// Causal attention through at::scaled_dot_product_attention: q (B, nh, T, hd),
// k and v (B, nkv, T, hd) with nh a multiple of nkv, query i seeing keys 0..i.
// Key/value heads are shared by their query groups without a copy where the
// op supports it (2.5+), else repeated. Returns (B, nh, T, hd). Throws
// engine::Error on a LibTorch without the op (check kHasSdpa first).
torch::Tensor sdpaCausal(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v);

// --- CUDA device facts (torchcompat.cpp; empty / false without a CUDA LibTorch) ---------------

// True when this build was compiled against a LibTorch with CUDA.
bool builtWithCuda();

// Peak bytes the CUDA caching allocator handed out on `device` since the last
// resetCudaPeakMemory(device) (or process start); nullopt without CUDA.
std::optional<std::int64_t> cudaPeakAllocatedBytes(int device);
// Peak bytes the allocator reserved from the driver (what nvidia-smi sees, less the context).
std::optional<std::int64_t> cudaPeakReservedBytes(int device);
void resetCudaPeakMemory(int device);
// Returns the caching allocator's unused blocks to the driver (no-op without CUDA).
void emptyCudaCache();

// Compute capability major × 10 + minor of `device` (80 for an A100,
// 90 for an H100/H200); nullopt without CUDA.
std::optional<int> cudaComputeCapability(int device);

} // namespace engine::torchcompat

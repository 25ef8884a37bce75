// Internal (Torch): what a training device computes in. CUDA runs under bf16
// autocast when the GPU has bf16 (compute capability 8.0 and newer: A100,
// RTX 30xx, H100 …); an older GPU (V100, T4, RTX 20xx) trains in plain f32
// instead, which needs no loss scaling and gives the same numbers as the CPU,
// at a lower speed (f16 autocast with a gradient scaler is not implemented).
// The CPU always computes in f32.
#pragma once

#include <torch/torch.h>

#include <string>

namespace engine {

// True when `device` is a CUDA GPU with bf16 (so training uses bf16 autocast).
bool cudaBf16Autocast(const torch::Device &device);

// A line for the run log saying what `device` computes in and why; empty on the CPU.
std::string computePrecisionNote(const torch::Device &device);

} // namespace engine

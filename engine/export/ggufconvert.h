// Internal (Torch): turning tensors into GGUF tensor data, shared by the GGUF
// adapter and model exporters: the ggml type a tensor gets for a requested
// dtype (1-D tensors stay f32 and q8_0 needs rows of whole 32-value blocks,
// else f16, as llama.cpp's converters do), its bytes in that type (q8_0 by
// ggml's reference quantiser), general.file_type, and the row permutation of
// q/k projections for llama.cpp's llama architecture (formats.md §2.6).
#pragma once

#include "engine/export/ggufwriter.h"
#include "engine/io/tensordtype.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

// convert_hf_to_gguf.py's general.file_type (LlamaFileType) of `dtype`.
std::uint32_t ggufFileType(TensorDtype dtype);
// "F32", "F16", "BF16", "Q8_0": the type part of GGUF file names.
std::string ggufTypeLabel(TensorDtype dtype);

// The ggml type of a tensor of `shape` (PyTorch order) exported as `dtype`.
GgufType ggufTensorType(TensorDtype dtype, const std::vector<std::int64_t> &shape);
// The bytes of `t` in `type` (F32, F16, BF16 or Q8_0).
std::string ggufTensorBytes(const torch::Tensor &t, GgufType type);
// Adds `t` as ggufTensorType(dtype, shape) with its bytes now.
void addGgufTensor(GgufWriter &writer, const std::string &name, const torch::Tensor &t, TensorDtype dtype);

// The base weight of a projection as its files hold it, f32 (PyTorch layout of
// the parameter: GPT-2's Conv1D [in, out]), read from `baseFolder`'s safetensors
// (PiSSA rewrites the weight in memory; the files keep the original).
torch::Tensor originalBaseWeight(const std::string &baseFolder, const std::string &parameter);

// PiSSA's initial pair of a projection (loralayer.cpp): from the top-`rank`
// SVD of its original weight `w` (O, I), A0 = √(S/s)·Vᵀ (R, I) and
// B0 = U·√(S/s) (O, R), so that the trained model is W − s·B0·A0 + s·B·A.
void pissaInitialPair(const torch::Tensor &w, std::int64_t rank, double scaling, torch::Tensor &a0, torch::Tensor &b0);

// Rows of a q or k projection (weight (O, I), bias (O) or lora_b (O, R)) in
// the order llama.cpp's llama architecture expects: GGUF row h·hd + 2i + s =
// Hugging Face row h·hd + s·hd/2 + i, with `heads` the q or kv heads.
torch::Tensor permuteQkRows(const torch::Tensor &t, std::int64_t heads);

} // namespace engine

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

// Rows of a q or k projection (weight (O, I), bias (O) or lora_b (O, R)) in
// the order llama.cpp's llama architecture expects: GGUF row h·hd + 2i + s =
// Hugging Face row h·hd + s·hd/2 + i, with `heads` the q or kv heads.
torch::Tensor permuteQkRows(const torch::Tensor &t, std::int64_t heads);

} // namespace engine

// Internal (Torch): safetensors tensors as torch tensors and back. Loading is
// zero-copy where it can be (dtype supported by LibTorch and the data aligned
// for it): the tensor then points into the file's copy-on-write mapping and
// keeps the file alive. Otherwise the bytes are copied. Only engine .cpp files
// and TORCH tests include this header.
#pragma once

#include "engine/io/safetensors.h"

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace engine {

// The LibTorch dtype of a safetensors dtype string; throws engine::Error for a
// dtype LibTorch 1.13 lacks (U16, U32, U64, F8_*, F4, F6_*).
torch::Dtype torchDtypeOf(const std::string &safetensorsDtype, const std::string &tensorName = {});

// The safetensors dtype string of a LibTorch dtype; throws for unsupported ones.
std::string safetensorsDtypeOf(torch::Dtype dtype);

// The tensor in its stored dtype. Zero-copy when the data is aligned for the
// dtype; the tensor keeps `file` alive.
torch::Tensor tensorFromFile(const std::shared_ptr<const SafetensorsFile> &file, const TensorInfo &info);

// The tensor as float32: F32 zero-copy when aligned, F16/BF16/F64/integers
// converted (a new f32 tensor). Throws for dtypes that are not numbers LibTorch
// can convert.
torch::Tensor floatTensorFromFile(const std::shared_ptr<const SafetensorsFile> &file, const TensorInfo &info);

// All tensors of a file in their stored dtype (zero-copy where possible).
std::map<std::string, torch::Tensor> loadSafetensors(const std::string &path);

// Writes CPU tensors (made contiguous) to `path`; see writeSafetensors().
void saveSafetensors(const std::string &path, const std::vector<std::pair<std::string, torch::Tensor>> &tensors,
    const std::map<std::string, std::string> &metadata = {});

// Writes CPU tensors sharded into `folder`; see writeShardedSafetensors().
std::vector<std::string> saveSafetensorsSharded(const std::string &folder,
    const std::vector<std::pair<std::string, torch::Tensor>> &tensors, std::uint64_t maxShardBytes,
    const std::map<std::string, std::string> &metadata = {});

} // namespace engine

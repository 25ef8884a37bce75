// Reading GGUF v3 files back: the key/value metadata (scalars, strings and
// arrays kept as text or numbers) and the tensor infos, with each tensor's
// bytes. Used to verify exported LoRA adapters; the whole file is read into
// memory, so it is meant for adapters, not multi-gigabyte models. Validates
// what ggml validates (magic, version, offsets, sizes) and names the problem
// and the file. Torch-free.
#pragma once

#include "engine/export/ggufwriter.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace engine {

struct GgufValue
{
    std::uint32_t type = 0;   // GGUF value type id (4 = UINT32, 6 = FLOAT32, 8 = STRING, ...)
    std::string text;         // STRING values
    double number = 0.0;      // numeric and BOOL values
    std::vector<GgufValue> items; // ARRAY values
};

struct GgufTensorInfo
{
    std::string name;
    std::vector<std::int64_t> shape; // PyTorch order (outermost first): the reverse of ggml's ne
    std::uint32_t type = 0;          // ggml type id
    std::string data;                // the tensor's bytes
};

struct GgufFile
{
    std::map<std::string, GgufValue> metadata;
    std::vector<GgufTensorInfo> tensors; // in file order
};

// Reads and validates `path`; throws engine::Error naming the file and problem.
GgufFile readGgufFile(const std::string &path);

// A tensor's values as float32 (F32, F16, BF16, Q8_0); throws for other types.
std::vector<float> ggufTensorValues(const GgufTensorInfo &tensor);

} // namespace engine

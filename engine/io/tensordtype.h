// The element types Lorafit can write exported tensors in: f32, f16, bf16 and
// GGUF's block-quantised q8_0. Names as users type them ("f16") and parsing
// with an error that lists the choices. Which formats accept which types is
// the exporters' business, not this file's. Torch-free.
#pragma once

#include "engine/core/status.h"

#include <string>

namespace engine {

enum class TensorDtype {
    F32,  // IEEE float32
    F16,  // IEEE float16
    BF16, // bfloat16 (upper half of float32)
    Q8_0, // GGUF q8_0: blocks of 32 int8 with one f16 scale (GGUF only)
};

// "f32", "f16", "bf16" or "q8_0".
const char *tensorDtypeName(TensorDtype dtype);

// Parses a name (case-insensitive); the error lists the accepted names.
Result<TensorDtype> parseTensorDtype(const std::string &name);

// The type a model's weights were saved in (config.json torch_dtype:
// "bfloat16", "float16"; anything else is f32): what full-model exports
// write unless the user picks another.
TensorDtype tensorDtypeOfStored(const std::string &torchDtype);

} // namespace engine

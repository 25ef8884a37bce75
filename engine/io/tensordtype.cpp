#include "engine/io/tensordtype.h"

#include <algorithm>
#include <cctype>

namespace engine {

const char *tensorDtypeName(TensorDtype dtype)
{
    switch (dtype) {
    case TensorDtype::F32: return "f32";
    case TensorDtype::F16: return "f16";
    case TensorDtype::BF16: return "bf16";
    case TensorDtype::Q8_0: return "q8_0";
    }
    return "f32";
}

Result<TensorDtype> parseTensorDtype(const std::string &name)
{
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (TensorDtype dtype : {TensorDtype::F32, TensorDtype::F16, TensorDtype::BF16, TensorDtype::Q8_0})
        if (lower == tensorDtypeName(dtype))
            return dtype;
    return Status::failure("unknown tensor type '" + name + "' (hint: use f32, f16, bf16 or q8_0)");
}

TensorDtype tensorDtypeOfStored(const std::string &torchDtype)
{
    if (torchDtype == "bfloat16")
        return TensorDtype::BF16;
    if (torchDtype == "float16")
        return TensorDtype::F16;
    return TensorDtype::F32;
}

} // namespace engine

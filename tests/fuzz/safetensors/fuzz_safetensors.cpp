// libFuzzer target for the safetensors header parser: any byte string must
// either parse into a header whose tensors tile the data buffer exactly, or
// raise engine::Error; never crash, hang or read out of bounds (built with
// address and undefined-behaviour sanitizers).
#include "engine/io/safetensors.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    try {
        const engine::SafetensorsHeader header = engine::parseSafetensorsHeader(data, size, "fuzz input");
        std::uint64_t offset = 0;
        for (const engine::TensorInfo &tensor : header.tensors) {
            if (tensor.begin != offset || tensor.end < tensor.begin)
                std::abort(); // accepted a header with holes or overlaps
            offset = tensor.end;
        }
        if (header.dataStart + offset != size)
            std::abort(); // accepted trailing or missing bytes
    } catch (const engine::Error &) {
    }
    return 0;
}

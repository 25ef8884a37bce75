// Writing safetensors files the way the reference writer does: compact JSON
// header with `__metadata__` first ({"format":"pt"} plus the caller's keys),
// tensors ordered by dtype alignment (descending) then name, the header padded
// with spaces to a multiple of 8, no padding between tensors. Files go through
// engine::AtomicFile, so a failure never leaves half a file. Torch-free.
#pragma once

#include "engine/core/status.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace engine {

// A tensor to write: raw little-endian, row-major bytes owned by the caller.
struct TensorData
{
    std::string name;
    std::string dtype; // safetensors dtype string, e.g. "F32"
    std::vector<std::int64_t> shape;
    const void *data = nullptr; // `bytes` bytes; must stay valid during the call
    std::size_t bytes = 0; // must equal prod(shape) * dtype size
};

// Writes one safetensors file. `metadata` is added to {"format": "pt"} (a
// "format" key in it wins). Throws engine::Error on invalid input (unknown
// dtype, size mismatch, duplicate or empty name) or an I/O failure.
void writeSafetensors(const std::string &path, const std::vector<TensorData> &tensors,
    const std::map<std::string, std::string> &metadata = {});

// The bytes writeSafetensors() would write, in memory (for tests and fuzzing).
std::string serializeSafetensors(
    const std::vector<TensorData> &tensors, const std::map<std::string, std::string> &metadata = {});

// Writes `tensors` into `folder` split into shards of at most `maxShardBytes`
// (a larger tensor gets a shard of its own), filling shards in the given order:
// model-00001-of-0000N.safetensors ... plus model.safetensors.index.json
// ({"metadata": {"total_size": ...}, "weight_map": {...}}). With a single shard
// it writes model.safetensors and no index, as Hugging Face does. Returns the
// file names written (without the folder).
std::vector<std::string> writeShardedSafetensors(const std::string &folder, const std::vector<TensorData> &tensors,
    std::uint64_t maxShardBytes, const std::map<std::string, std::string> &metadata = {});

} // namespace engine

// Reading safetensors files (huggingface/safetensors format): the header is
// parsed and validated as strictly as the reference reader (header size cap,
// sorted contiguous offsets, exact byte sizes, no trailing bytes, no duplicate
// keys, string-only __metadata__), the data stays memory-mapped. Torch-free:
// tensors are described by name, dtype string, shape and byte span; turning
// them into torch tensors is engine/io/safetensorstorch.h's job.
#pragma once

#include "engine/core/status.h"
#include "engine/io/mappedfile.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

// Largest header the reference reader accepts (MAX_HEADER_SIZE).
constexpr std::uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

// Bits per element of a safetensors dtype string ("F32" -> 32, "F4" -> 4), or
// 0 if the string is not a safetensors dtype. Case-sensitive, as in the format.
int safetensorsDtypeBits(std::string_view dtype);

// All dtype strings of the format, in the reference's increasing-alignment order.
const std::vector<std::string> &safetensorsDtypes();

// One tensor of a safetensors file.
struct TensorInfo
{
    std::string name;
    std::string dtype; // "F32", "BF16", "I64", ...
    std::vector<std::int64_t> shape; // empty = scalar
    std::uint64_t begin = 0; // byte offset in the data buffer (after the header)
    std::uint64_t end = 0; // exclusive; end - begin = byte size

    std::uint64_t byteSize() const { return end - begin; }
    std::int64_t elementCount() const;
};

// The decoded and validated header of a safetensors file.
struct SafetensorsHeader
{
    std::vector<TensorInfo> tensors; // sorted by data offset
    std::map<std::string, std::string> metadata; // __metadata__ (string to string)
    std::uint64_t dataStart = 0; // file offset of the data buffer (8 + header length)
};

// Parses and validates the header of a complete safetensors file held in
// `bytes` (the whole file, needed to check its length). `fileName` only names
// the file in error messages. Throws engine::Error naming the file, the tensor
// and the problem, with a hint. Never reads outside `bytes`.
SafetensorsHeader parseSafetensorsHeader(const std::uint8_t *bytes, std::uint64_t size, const std::string &fileName);

// A safetensors file, memory-mapped and validated. Cheap to share: tensors
// built on its data keep a shared_ptr to it so the mapping outlives them.
// Thread-safe for reading after open().
class SafetensorsFile
{
public:
    // Maps and validates `path`; throws engine::Error on any problem.
    static std::shared_ptr<const SafetensorsFile> open(const std::string &path);

    const std::string &path() const { return m_file.path(); }
    const std::vector<TensorInfo> &tensors() const { return m_header.tensors; }
    const std::map<std::string, std::string> &metadata() const { return m_header.metadata; }
    // nullptr if absent.
    const TensorInfo *find(const std::string &name) const;
    // First byte of the tensor's data inside the mapping (valid while *this lives).
    const std::uint8_t *data(const TensorInfo &tensor) const;
    std::uint64_t fileSize() const { return m_file.size(); }

    explicit SafetensorsFile(const std::string &path); // use open()

private:
    MappedFile m_file;
    SafetensorsHeader m_header;
    std::map<std::string, std::size_t> m_index; // name -> position in m_header.tensors
};

} // namespace engine

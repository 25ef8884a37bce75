#include "engine/export/ggufwriter.h"

#include "engine/core/atomicfile.h"
#include "engine/core/status.h"

#include <cstring>

namespace engine {

namespace {

constexpr std::uint32_t kTypeUint32 = 4;
constexpr std::uint32_t kTypeInt32 = 5;
constexpr std::uint32_t kTypeFloat32 = 6;
constexpr std::uint32_t kTypeBool = 7;
constexpr std::uint32_t kTypeString = 8;
constexpr std::uint32_t kTypeArray = 9;
constexpr std::size_t kMaxNameBytes = 63; // GGML_MAX_NAME (64) minus the NUL

template <typename T>
void put(std::string &out, T value)
{
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T)); // little-endian hosts only (x86-64, arm64)
    out.append(bytes, sizeof(T));
}

void putString(std::string &out, const std::string &text)
{
    put<std::uint64_t>(out, text.size());
    out += text;
}

std::uint64_t padded(std::uint64_t bytes)
{
    return (bytes + GgufWriter::kAlignment - 1) / GgufWriter::kAlignment * GgufWriter::kAlignment;
}

} // namespace

int ggufBlockSize(GgufType type)
{
    return type == GgufType::Q8_0 ? 32 : 1;
}

std::uint64_t ggufTypeBytes(GgufType type, std::uint64_t elements)
{
    switch (type) {
    case GgufType::F32: return elements * 4;
    case GgufType::F16:
    case GgufType::BF16: return elements * 2;
    case GgufType::Q8_0: return elements / 32 * 34;
    }
    return 0;
}

void GgufWriter::beginKey(const std::string &key, std::uint32_t valueType)
{
    if (key.empty() || !m_keys.insert(key).second)
        throw Error("GGUF key '" + key + "' is empty or written twice");
    putString(m_kv, key);
    put<std::uint32_t>(m_kv, valueType);
    ++m_kvCount;
}

void GgufWriter::addString(const std::string &key, const std::string &value)
{
    beginKey(key, kTypeString);
    putString(m_kv, value);
}

void GgufWriter::addUint32(const std::string &key, std::uint32_t value)
{
    beginKey(key, kTypeUint32);
    put<std::uint32_t>(m_kv, value);
}

void GgufWriter::addFloat32(const std::string &key, float value)
{
    beginKey(key, kTypeFloat32);
    put<float>(m_kv, value);
}

void GgufWriter::addBool(const std::string &key, bool value)
{
    beginKey(key, kTypeBool);
    put<std::uint8_t>(m_kv, value ? 1 : 0);
}

void GgufWriter::addInt32(const std::string &key, std::int32_t value)
{
    beginKey(key, kTypeInt32);
    put<std::int32_t>(m_kv, value);
}

void GgufWriter::addStringArray(const std::string &key, const std::vector<std::string> &values)
{
    beginKey(key, kTypeArray);
    put<std::uint32_t>(m_kv, kTypeString);
    put<std::uint64_t>(m_kv, values.size());
    for (const std::string &value : values)
        putString(m_kv, value);
}

void GgufWriter::addInt32Array(const std::string &key, const std::vector<std::int32_t> &values)
{
    beginKey(key, kTypeArray);
    put<std::uint32_t>(m_kv, kTypeInt32);
    put<std::uint64_t>(m_kv, values.size());
    for (std::int32_t value : values)
        put<std::int32_t>(m_kv, value);
}

void GgufWriter::addFloat32Array(const std::string &key, const std::vector<float> &values)
{
    beginKey(key, kTypeArray);
    put<std::uint32_t>(m_kv, kTypeFloat32);
    put<std::uint64_t>(m_kv, values.size());
    for (float value : values)
        put<float>(m_kv, value);
}

std::uint64_t GgufWriter::checkTensor(const std::string &name, const std::vector<std::int64_t> &shape, GgufType type)
{
    if (name.empty() || name.size() > kMaxNameBytes)
        throw Error("GGUF tensor name '" + name + "' must have 1 to 63 bytes (hint: llama.cpp's GGML_MAX_NAME)");
    if (!m_names.insert(name).second)
        throw Error("GGUF tensor '" + name + "' is written twice");
    if (shape.empty() || shape.size() > 4)
        throw Error("GGUF tensor '" + name + "' must have 1 to 4 dimensions");
    std::uint64_t elements = 1;
    for (std::int64_t dim : shape) {
        if (dim <= 0)
            throw Error("GGUF tensor '" + name + "' has a dimension of " + std::to_string(dim));
        elements *= static_cast<std::uint64_t>(dim);
    }
    if (shape.back() % ggufBlockSize(type) != 0)
        throw Error("GGUF tensor '" + name + "': its innermost dimension " + std::to_string(shape.back())
                    + " is not a multiple of the block size " + std::to_string(ggufBlockSize(type))
                    + " (hint: store this tensor as f16)");
    return ggufTypeBytes(type, elements);
}

void GgufWriter::addTensor(const std::string &name, const std::vector<std::int64_t> &shape, GgufType type,
                           std::string data)
{
    const std::uint64_t bytes = checkTensor(name, shape, type);
    if (data.size() != bytes)
        throw Error("GGUF tensor '" + name + "': " + std::to_string(data.size()) + " bytes given, "
                    + std::to_string(bytes) + " expected");
    m_tensors.push_back({name, shape, type, bytes, std::move(data), {}});
}

void GgufWriter::addTensor(const std::string &name, const std::vector<std::int64_t> &shape, GgufType type,
                           Producer produce)
{
    const std::uint64_t bytes = checkTensor(name, shape, type);
    m_tensors.push_back({name, shape, type, bytes, {}, std::move(produce)});
}

std::string GgufWriter::header() const
{
    std::string out = "GGUF";
    put<std::uint32_t>(out, 3);
    put<std::uint64_t>(out, m_tensors.size());
    put<std::uint64_t>(out, m_kvCount);
    out += m_kv;
    std::uint64_t offset = 0;
    for (const Tensor &t : m_tensors) {
        putString(out, t.name);
        put<std::uint32_t>(out, static_cast<std::uint32_t>(t.shape.size()));
        for (auto dim = t.shape.rbegin(); dim != t.shape.rend(); ++dim)
            put<std::uint64_t>(out, static_cast<std::uint64_t>(*dim)); // ne[0] = innermost
        put<std::uint32_t>(out, static_cast<std::uint32_t>(t.type));
        put<std::uint64_t>(out, offset);
        offset += padded(t.bytes);
    }
    out.resize(padded(out.size()), '\0');
    return out;
}

std::uint64_t GgufWriter::fileBytes() const
{
    std::uint64_t bytes = header().size();
    for (const Tensor &t : m_tensors)
        bytes += padded(t.bytes);
    return bytes;
}

void GgufWriter::write(const std::string &path) const
{
    AtomicFile file(path);
    file.write(header());
    const std::string zeros(kAlignment, '\0');
    for (const Tensor &t : m_tensors) {
        const std::string produced = t.produce ? t.produce() : std::string();
        const std::string &data = t.produce ? produced : t.data;
        if (data.size() != t.bytes)
            throw Error("GGUF tensor '" + t.name + "': " + std::to_string(data.size()) + " bytes produced, "
                        + std::to_string(t.bytes) + " expected");
        file.write(data);
        file.write(zeros.data(), padded(t.bytes) - t.bytes);
    }
    file.commit();
}

} // namespace engine

#include "engine/export/ggufreader.h"

#include "engine/core/atomicfile.h"
#include "engine/core/status.h"

#include <cstring>

namespace engine {

namespace {

class Cursor
{
public:
    Cursor(const std::string &bytes, std::string path) : m_bytes(bytes), m_path(std::move(path)) {}

    template <typename T>
    T get()
    {
        need(sizeof(T));
        T value;
        std::memcpy(&value, m_bytes.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return value;
    }
    std::string string()
    {
        const auto size = get<std::uint64_t>();
        need(size);
        std::string text = m_bytes.substr(m_pos, size);
        m_pos += size;
        return text;
    }
    void need(std::uint64_t size) const
    {
        if (size > m_bytes.size() - m_pos)
            fail("truncated at byte " + std::to_string(m_pos));
    }
    [[noreturn]] void fail(const std::string &problem) const
    {
        throw Error("GGUF file '" + m_path + "': " + problem + " (hint: the file is damaged or not a GGUF v3 file)");
    }
    std::size_t pos() const { return m_pos; }

private:
    const std::string &m_bytes;
    std::string m_path;
    std::size_t m_pos = 0;
};

GgufValue readValue(Cursor &in, std::uint32_t type, int depth = 0)
{
    GgufValue value;
    value.type = type;
    switch (type) {
    case 0: value.number = in.get<std::uint8_t>(); break;
    case 1: value.number = in.get<std::int8_t>(); break;
    case 2: value.number = in.get<std::uint16_t>(); break;
    case 3: value.number = in.get<std::int16_t>(); break;
    case 4: value.number = in.get<std::uint32_t>(); break;
    case 5: value.number = in.get<std::int32_t>(); break;
    case 6: value.number = in.get<float>(); break;
    case 7: value.number = in.get<std::uint8_t>(); break;
    case 8: value.text = in.string(); break;
    case 9: {
        if (depth > 4)
            in.fail("arrays nested too deeply");
        const auto itemType = in.get<std::uint32_t>();
        const auto count = in.get<std::uint64_t>();
        in.need(count); // every item takes at least one byte
        for (std::uint64_t i = 0; i < count; ++i)
            value.items.push_back(readValue(in, itemType, depth + 1));
        break;
    }
    case 10: value.number = static_cast<double>(in.get<std::uint64_t>()); break;
    case 11: value.number = static_cast<double>(in.get<std::int64_t>()); break;
    case 12: value.number = in.get<double>(); break;
    default: in.fail("unknown value type " + std::to_string(type));
    }
    return value;
}

std::uint64_t typeBytes(std::uint32_t type, std::uint64_t elements, Cursor &in)
{
    switch (type) {
    case 0: return elements * 4;
    case 1:
    case 30: return elements * 2;
    case 8:
        if (elements % 32 != 0)
            in.fail("a q8_0 tensor's size is not a multiple of 32");
        return elements / 32 * 34;
    default: in.fail("tensor type " + std::to_string(type) + " is not one Lorafit reads (f32, f16, bf16, q8_0)");
    }
}

float halfToFloat(std::uint16_t h)
{
    const std::uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ffu;
    std::uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else { // subnormal: normalise
            int e = -1;
            std::uint32_t m = mantissa;
            do {
                ++e;
                m <<= 1;
            } while ((m & 0x400u) == 0);
            bits = sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | (m & 0x3ffu) << 13;
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | mantissa << 13;
    } else {
        bits = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

} // namespace

GgufFile readGgufFile(const std::string &path)
{
    const std::string bytes = readFile(path);
    Cursor in(bytes, path);
    if (bytes.size() < 4 || bytes.compare(0, 4, "GGUF") != 0)
        in.fail("the magic bytes are not \"GGUF\"");
    in.get<std::uint32_t>();
    if (const auto version = in.get<std::uint32_t>(); version != 3)
        in.fail("version " + std::to_string(version) + " is not 3");
    const auto tensorCount = in.get<std::uint64_t>();
    const auto kvCount = in.get<std::uint64_t>();
    GgufFile file;
    for (std::uint64_t i = 0; i < kvCount; ++i) {
        const std::string key = in.string();
        const auto type = in.get<std::uint32_t>();
        if (!file.metadata.emplace(key, readValue(in, type)).second)
            in.fail("key '" + key + "' appears twice");
    }
    std::vector<std::uint64_t> offsets;
    for (std::uint64_t i = 0; i < tensorCount; ++i) {
        GgufTensorInfo t;
        t.name = in.string();
        const auto dims = in.get<std::uint32_t>();
        if (dims == 0 || dims > 4)
            in.fail("tensor '" + t.name + "' has " + std::to_string(dims) + " dimensions");
        t.shape.resize(dims); // GGUF lists dimensions innermost first; shapes here are outermost first
        for (std::uint32_t d = 0; d < dims; ++d)
            t.shape[dims - 1 - d] = static_cast<std::int64_t>(in.get<std::uint64_t>());
        t.type = in.get<std::uint32_t>();
        offsets.push_back(in.get<std::uint64_t>());
        file.tensors.push_back(std::move(t));
    }
    std::uint64_t alignment = GgufWriter::kAlignment;
    if (const auto it = file.metadata.find("general.alignment"); it != file.metadata.end())
        alignment = static_cast<std::uint64_t>(it->second.number);
    const std::uint64_t dataStart = (in.pos() + alignment - 1) / alignment * alignment;
    std::uint64_t expected = 0;
    for (std::size_t i = 0; i < file.tensors.size(); ++i) {
        GgufTensorInfo &t = file.tensors[i];
        std::uint64_t elements = 1;
        for (auto dim : t.shape)
            elements *= static_cast<std::uint64_t>(dim);
        const std::uint64_t size = typeBytes(t.type, elements, in);
        if (offsets[i] != expected)
            in.fail("tensor '" + t.name + "' starts at offset " + std::to_string(offsets[i]) + ", expected "
                    + std::to_string(expected));
        if (dataStart + offsets[i] + size > bytes.size())
            in.fail("tensor '" + t.name + "' runs past the end of the file");
        t.data = bytes.substr(dataStart + offsets[i], size);
        expected += (size + alignment - 1) / alignment * alignment;
    }
    return file;
}

std::vector<float> ggufTensorValues(const GgufTensorInfo &tensor)
{
    const std::string &d = tensor.data;
    std::vector<float> values;
    if (tensor.type == 0) {
        values.resize(d.size() / 4);
        std::memcpy(values.data(), d.data(), d.size());
    } else if (tensor.type == 1 || tensor.type == 30) {
        for (std::size_t i = 0; i + 1 < d.size(); i += 2) {
            std::uint16_t h;
            std::memcpy(&h, d.data() + i, 2);
            if (tensor.type == 1) {
                values.push_back(halfToFloat(h));
            } else {
                const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
                float f;
                std::memcpy(&f, &bits, 4);
                values.push_back(f);
            }
        }
    } else if (tensor.type == 8) {
        for (std::size_t b = 0; b + 34 <= d.size(); b += 34) {
            std::uint16_t h;
            std::memcpy(&h, d.data() + b, 2);
            const float scale = halfToFloat(h);
            for (int j = 0; j < 32; ++j)
                values.push_back(static_cast<float>(static_cast<std::int8_t>(d[b + 2 + j])) * scale);
        }
    } else {
        throw Error("GGUF tensor '" + tensor.name + "' has type " + std::to_string(tensor.type)
                    + ", which Lorafit does not read (hint: f32, f16, bf16 and q8_0 are supported)");
    }
    return values;
}

} // namespace engine

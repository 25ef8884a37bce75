#include "engine/io/safetensors.h"

#include "engine/core/status.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <set>

namespace engine {

namespace {

using Json = nlohmann::json;

const char *const kCorruptHint = "hint: the file is damaged or was not written by a safetensors writer; "
                                 "download or export it again";

[[noreturn]] void fail(const std::string &file, const std::string &problem, const char *hint = kCorruptHint)
{
    throw Error("safetensors file '" + file + "': " + problem + " (" + hint + ")");
}

std::string tensorLabel(const std::string &name)
{
    return "tensor '" + name + "'";
}

std::string shapeText(const std::vector<std::int64_t> &shape)
{
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

std::uint64_t readU64le(const std::uint8_t *p)
{
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i)
        value = (value << 8) | p[i];
    return value;
}

// Parses the JSON text, rejecting duplicate keys at every nesting level
// (nlohmann would silently keep the last one).
Json parseJsonRejectingDuplicates(std::string_view text, const std::string &file)
{
    std::vector<std::set<std::string>> keysPerObject;
    auto callback = [&](int, Json::parse_event_t event, Json &parsed) {
        if (event == Json::parse_event_t::object_start) {
            keysPerObject.emplace_back();
        } else if (event == Json::parse_event_t::object_end) {
            keysPerObject.pop_back();
        } else if (event == Json::parse_event_t::key && !keysPerObject.empty()) {
            const std::string key = parsed.get<std::string>();
            if (!keysPerObject.back().insert(key).second)
                fail(file, "the header has the key '" + key + "' twice");
        }
        return true;
    };
    try {
        return Json::parse(text.begin(), text.end(), callback);
    } catch (const Json::exception &e) {
        fail(file, std::string("the header is not valid JSON: ") + e.what());
    }
}

std::uint64_t readUnsigned(const Json &value, const std::string &file, const std::string &what)
{
    if (!value.is_number_unsigned())
        fail(file, what + " must be a non-negative integer, found " + value.dump());
    return value.get<std::uint64_t>();
}

std::map<std::string, std::string> readMetadata(const Json &value, const std::string &file)
{
    std::map<std::string, std::string> metadata;
    if (value.is_null())
        return metadata;
    if (!value.is_object())
        fail(file, "__metadata__ must be an object of strings, found " + value.dump());
    for (const auto &[key, entry] : value.items()) {
        if (!entry.is_string())
            fail(file, "__metadata__ value '" + key + "' must be a string, found " + entry.dump(),
                "hint: safetensors metadata maps strings to strings; store numbers and lists as text");
        metadata[key] = entry.get<std::string>();
    }
    return metadata;
}

// Checked product of the shape and the element size; returns the byte size.
std::uint64_t expectedBytes(const TensorInfo &tensor, int bits, const std::string &file)
{
    std::uint64_t elements = 1;
    for (const std::int64_t dim : tensor.shape) {
        const auto d = static_cast<std::uint64_t>(dim);
        if (d != 0 && elements > UINT64_MAX / d)
            fail(file, tensorLabel(tensor.name) + " has a shape whose size overflows: " + shapeText(tensor.shape));
        elements *= d;
    }
    if (elements > UINT64_MAX / static_cast<std::uint64_t>(bits))
        fail(file, tensorLabel(tensor.name) + " has a shape whose byte size overflows: " + shapeText(tensor.shape));
    const std::uint64_t totalBits = elements * static_cast<std::uint64_t>(bits);
    if (totalBits % 8 != 0)
        fail(file,
            tensorLabel(tensor.name) + " of dtype " + tensor.dtype + " and shape " + shapeText(tensor.shape)
                + " does not end on a byte boundary");
    return totalBits / 8;
}

TensorInfo readTensor(const std::string &name, const Json &value, const std::string &file)
{
    const std::string label = tensorLabel(name);
    if (!value.is_object())
        fail(file, label + " must be an object with dtype, shape and data_offsets, found " + value.dump());
    TensorInfo tensor;
    tensor.name = name;
    const auto dtype = value.find("dtype");
    if (dtype == value.end() || !dtype->is_string())
        fail(file, label + " has no dtype string");
    tensor.dtype = dtype->get<std::string>();
    const int bits = safetensorsDtypeBits(tensor.dtype);
    if (bits == 0) {
        std::string known;
        for (const std::string &d : safetensorsDtypes())
            known += (known.empty() ? "" : ", ") + d;
        fail(file, label + " has the unknown dtype '" + tensor.dtype + "'",
            ("hint: safetensors dtypes are " + known).c_str());
    }
    const auto shape = value.find("shape");
    if (shape == value.end() || !shape->is_array())
        fail(file, label + " has no shape array");
    for (const Json &dim : *shape) {
        const std::uint64_t d = readUnsigned(dim, file, label + " shape entries");
        if (d > static_cast<std::uint64_t>(INT64_MAX))
            fail(file, label + " has a dimension that is too large: " + dim.dump());
        tensor.shape.push_back(static_cast<std::int64_t>(d));
    }
    const auto offsets = value.find("data_offsets");
    if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2)
        fail(file, label + " needs data_offsets [begin, end]");
    tensor.begin = readUnsigned((*offsets)[0], file, label + " data_offsets");
    tensor.end = readUnsigned((*offsets)[1], file, label + " data_offsets");
    if (tensor.end < tensor.begin)
        fail(file,
            label + " has data_offsets that end before they begin: [" + std::to_string(tensor.begin) + ", "
                + std::to_string(tensor.end) + "]");
    const std::uint64_t bytes = expectedBytes(tensor, bits, file);
    if (tensor.byteSize() != bytes)
        fail(file,
            label + " has " + std::to_string(tensor.byteSize()) + " bytes of data but " + tensor.dtype + " of shape "
                + shapeText(tensor.shape) + " needs " + std::to_string(bytes));
    return tensor;
}

// Offsets sorted: the first starts at 0 and each starts where the previous ended.
void checkContiguous(std::vector<TensorInfo> &tensors, const std::string &file)
{
    std::stable_sort(tensors.begin(), tensors.end(), [](const TensorInfo &a, const TensorInfo &b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t expected = 0;
    for (const TensorInfo &tensor : tensors) {
        if (tensor.begin != expected)
            fail(file,
                tensorLabel(tensor.name) + " starts at data offset " + std::to_string(tensor.begin)
                    + " but the previous tensor ends at " + std::to_string(expected)
                    + (tensor.begin < expected ? " (the data overlaps)" : " (there is a gap)"));
        expected = tensor.end;
    }
}

} // namespace

int safetensorsDtypeBits(std::string_view dtype)
{
    static const std::map<std::string, int, std::less<>> bits = { { "BOOL", 8 }, { "F4", 4 }, { "F6_E2M3", 6 },
        { "F6_E3M2", 6 }, { "U8", 8 }, { "I8", 8 }, { "F8_E5M2", 8 }, { "F8_E4M3", 8 }, { "F8_E8M0", 8 },
        { "F8_E4M3FNUZ", 8 }, { "F8_E5M2FNUZ", 8 }, { "I16", 16 }, { "U16", 16 }, { "F16", 16 }, { "BF16", 16 },
        { "I32", 32 }, { "U32", 32 }, { "F32", 32 }, { "C64", 64 }, { "F64", 64 }, { "I64", 64 }, { "U64", 64 } };
    const auto it = bits.find(dtype);
    return it == bits.end() ? 0 : it->second;
}

const std::vector<std::string> &safetensorsDtypes()
{
    static const std::vector<std::string> order
        = { "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
              "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64" };
    return order;
}

std::int64_t TensorInfo::elementCount() const
{
    std::int64_t count = 1;
    for (const std::int64_t dim : shape)
        count *= dim;
    return count;
}

SafetensorsHeader parseSafetensorsHeader(const std::uint8_t *bytes, std::uint64_t size, const std::string &fileName)
{
    if (size < 8)
        fail(fileName, "the file has " + std::to_string(size) + " bytes, fewer than the 8-byte header length",
            "hint: the file is truncated; download or export it again");
    const std::uint64_t headerLength = readU64le(bytes);
    if (headerLength > kSafetensorsMaxHeaderBytes)
        fail(fileName,
            "the header length " + std::to_string(headerLength) + " exceeds the limit of "
                + std::to_string(kSafetensorsMaxHeaderBytes) + " bytes");
    if (headerLength > size - 8)
        fail(fileName,
            "the header length " + std::to_string(headerLength) + " reaches beyond the end of the "
                + std::to_string(size) + "-byte file",
            "hint: the file is truncated or is not a safetensors file");
    if (headerLength == 0 || bytes[8] != '{')
        fail(fileName, "the header does not start with '{'", "hint: this is not a safetensors file");

    const std::string_view text(reinterpret_cast<const char *>(bytes + 8), headerLength);
    const Json root = parseJsonRejectingDuplicates(text, fileName);
    if (!root.is_object())
        fail(fileName, "the header is not a JSON object");

    SafetensorsHeader header;
    header.dataStart = 8 + headerLength;
    for (const auto &[key, value] : root.items()) {
        if (key == "__metadata__")
            header.metadata = readMetadata(value, fileName);
        else
            header.tensors.push_back(readTensor(key, value, fileName));
    }
    checkContiguous(header.tensors, fileName);
    const std::uint64_t dataBytes = header.tensors.empty() ? 0 : header.tensors.back().end;
    if (dataBytes > size - header.dataStart)
        fail(fileName,
            "the tensors need " + std::to_string(dataBytes) + " bytes of data but the file holds only "
                + std::to_string(size - header.dataStart) + " after the header",
            "hint: the file is truncated; download or export it again");
    if (dataBytes < size - header.dataStart)
        fail(fileName,
            "the file has " + std::to_string(size - header.dataStart - dataBytes)
                + " trailing bytes after the last tensor");
    return header;
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string &path)
{
    return std::make_shared<const SafetensorsFile>(path);
}

SafetensorsFile::SafetensorsFile(const std::string &path)
    : m_file(path)
{
    m_header = parseSafetensorsHeader(m_file.data(), m_file.size(), path);
    for (std::size_t i = 0; i < m_header.tensors.size(); ++i)
        m_index[m_header.tensors[i].name] = i;
}

const TensorInfo *SafetensorsFile::find(const std::string &name) const
{
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_header.tensors[it->second];
}

const std::uint8_t *SafetensorsFile::data(const TensorInfo &tensor) const
{
    return m_file.data() + m_header.dataStart + tensor.begin;
}

} // namespace engine

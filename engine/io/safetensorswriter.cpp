#include "engine/io/safetensorswriter.h"

#include "engine/core/atomicfile.h"
#include "engine/core/status.h"
#include "engine/io/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

namespace engine {

namespace {

using Json = nlohmann::json;

int alignmentRank(const std::string &dtype)
{
    const auto &order = safetensorsDtypes();
    return static_cast<int>(std::find(order.begin(), order.end(), dtype) - order.begin());
}

void checkTensor(const TensorData &tensor)
{
    if (tensor.name.empty() || tensor.name == "__metadata__")
        throw Error("cannot write a safetensors tensor named '" + tensor.name + "' (hint: use a non-empty name)");
    const int bits = safetensorsDtypeBits(tensor.dtype);
    if (bits == 0)
        throw Error("cannot write tensor '" + tensor.name + "': unknown safetensors dtype '" + tensor.dtype + "'");
    std::uint64_t elements = 1;
    for (const std::int64_t dim : tensor.shape) {
        if (dim < 0)
            throw Error("cannot write tensor '" + tensor.name + "': negative dimension " + std::to_string(dim));
        elements *= static_cast<std::uint64_t>(dim);
    }
    const std::uint64_t expected = (elements * static_cast<std::uint64_t>(bits) + 7) / 8;
    if (tensor.bytes != expected || (tensor.bytes > 0 && !tensor.data))
        throw Error("cannot write tensor '" + tensor.name + "': its shape needs " + std::to_string(expected)
            + " bytes of " + tensor.dtype + " but " + std::to_string(tensor.bytes) + " were given");
}

// Tensors in the reference writer's order: alignment descending, then name.
std::vector<const TensorData *> dataOrder(const std::vector<TensorData> &tensors)
{
    std::vector<const TensorData *> ordered;
    std::set<std::string> names;
    for (const TensorData &tensor : tensors) {
        checkTensor(tensor);
        if (!names.insert(tensor.name).second)
            throw Error("cannot write two tensors named '" + tensor.name + "' into one safetensors file");
        ordered.push_back(&tensor);
    }
    std::sort(ordered.begin(), ordered.end(), [](const TensorData *a, const TensorData *b) {
        const int ra = alignmentRank(a->dtype), rb = alignmentRank(b->dtype);
        return ra != rb ? ra > rb : a->name < b->name;
    });
    return ordered;
}

std::string headerText(
    const std::vector<const TensorData *> &ordered, const std::map<std::string, std::string> &metadata)
{
    Json meta = Json::object();
    for (const auto &[key, value] : metadata)
        meta[key] = value;
    if (!meta.contains("format"))
        meta["format"] = "pt";
    std::string text = "{\"__metadata__\":" + meta.dump();
    std::uint64_t offset = 0;
    for (const TensorData *tensor : ordered) {
        const std::uint64_t end = offset + tensor->bytes;
        text += "," + Json(tensor->name).dump() + ":{\"dtype\":" + Json(tensor->dtype).dump()
            + ",\"shape\":" + Json(tensor->shape).dump() + ",\"data_offsets\":[" + std::to_string(offset) + ","
            + std::to_string(end) + "]}";
        offset = end;
    }
    text += "}";
    text.resize((text.size() + 7) / 8 * 8, ' ');
    return text;
}

std::string lengthPrefix(std::uint64_t length)
{
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    return bytes;
}

std::string shardName(std::size_t index, std::size_t count)
{
    char name[64];
    std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", index + 1, count);
    return name;
}

} // namespace

void writeSafetensors(
    const std::string &path, const std::vector<TensorData> &tensors, const std::map<std::string, std::string> &metadata)
{
    const auto ordered = dataOrder(tensors);
    const std::string header = headerText(ordered, metadata);
    AtomicFile file(path);
    file.write(lengthPrefix(header.size()));
    file.write(header);
    for (const TensorData *tensor : ordered)
        file.write(tensor->data, tensor->bytes);
    file.commit();
}

std::string serializeSafetensors(
    const std::vector<TensorData> &tensors, const std::map<std::string, std::string> &metadata)
{
    const auto ordered = dataOrder(tensors);
    const std::string header = headerText(ordered, metadata);
    std::string bytes = lengthPrefix(header.size()) + header;
    for (const TensorData *tensor : ordered)
        bytes.append(static_cast<const char *>(tensor->data), tensor->bytes);
    return bytes;
}

std::vector<std::string> writeShardedSafetensors(const std::string &folder, const std::vector<TensorData> &tensors,
    std::uint64_t maxShardBytes, const std::map<std::string, std::string> &metadata)
{
    std::vector<std::vector<TensorData>> shards;
    std::uint64_t shardBytes = 0;
    std::set<std::string> names;
    for (const TensorData &tensor : tensors) {
        if (!names.insert(tensor.name).second)
            throw Error("cannot write two tensors named '" + tensor.name + "' into one model");
        if (shards.empty() || (shardBytes > 0 && shardBytes + tensor.bytes > maxShardBytes)) {
            shards.emplace_back();
            shardBytes = 0;
        }
        shards.back().push_back(tensor);
        shardBytes += tensor.bytes;
    }
    const std::filesystem::path root(folder);
    if (shards.size() <= 1) {
        writeSafetensors((root / "model.safetensors").string(), shards.empty() ? tensors : shards.front(), metadata);
        return { "model.safetensors" };
    }
    std::vector<std::string> written;
    Json weightMap = Json::object();
    std::uint64_t totalSize = 0;
    for (std::size_t i = 0; i < shards.size(); ++i) {
        written.push_back(shardName(i, shards.size()));
        writeSafetensors((root / written.back()).string(), shards[i], metadata);
        for (const TensorData &tensor : shards[i]) {
            weightMap[tensor.name] = written.back();
            totalSize += tensor.bytes;
        }
    }
    const Json index = { { "metadata", { { "total_size", totalSize } } }, { "weight_map", weightMap } };
    writeFileAtomically((root / "model.safetensors.index.json").string(), index.dump(2) + "\n");
    written.push_back("model.safetensors.index.json");
    return written;
}

} // namespace engine

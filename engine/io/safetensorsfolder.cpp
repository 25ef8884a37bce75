#include "engine/io/safetensorsfolder.h"

#include "engine/core/atomicfile.h"
#include "engine/core/status.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>

namespace engine {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const char *const kIndexName = "model.safetensors.index.json";
const char *const kSingleName = "model.safetensors";

bool fileExists(const fs::path &path)
{
    std::error_code ignored;
    return fs::exists(path, ignored);
}

[[noreturn]] void failNoWeights(const fs::path &folder)
{
    if (fileExists(folder / "pytorch_model.bin") || fileExists(folder / "pytorch_model.bin.index.json"))
        throw Error("model folder '" + folder.string()
            + "' has only pytorch_model.bin (a Python pickle); Lorafit loads safetensors only and never "
              "opens pickles, because loading a pickle can run arbitrary code (hint: convert it with "
              "transformers: AutoModelForCausalLM.from_pretrained(dir).save_pretrained(out, "
              "safe_serialization=True), or download the model's model.safetensors)");
    throw Error("model folder '" + folder.string() + "' has neither " + kSingleName + " nor " + kIndexName
        + " (hint: choose the folder that contains config.json and the .safetensors weights)");
}

std::map<std::string, std::string> readWeightMap(const fs::path &indexPath)
{
    const std::string file = indexPath.string();
    Json root;
    try {
        root = Json::parse(readFile(file));
    } catch (const Json::exception &e) {
        throw Error(
            "index '" + file + "' is not valid JSON: " + e.what() + " (hint: download the model's index file again)");
    }
    const auto weightMap = root.is_object() ? root.find("weight_map") : root.end();
    if (!root.is_object() || weightMap == root.end() || !weightMap->is_object())
        throw Error("index '" + file + "' has no \"weight_map\" object (hint: download the model's index file again)");
    std::map<std::string, std::string> result;
    for (const auto &[tensor, shard] : weightMap->items()) {
        if (!shard.is_string())
            throw Error("index '" + file + "': weight_map entry '" + tensor + "' must be a file name string");
        const std::string name = shard.get<std::string>();
        if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == "."
            || name == "..")
            throw Error("index '" + file + "': weight_map entry '" + tensor + "' names the file '" + name
                + "', which is not a plain file name in the model folder (hint: shards must sit next to "
                  "the index)");
        result[tensor] = name;
    }
    return result;
}

} // namespace

SafetensorsFolder SafetensorsFolder::open(const std::string &folder)
{
    const fs::path root(folder);
    std::error_code error;
    if (!fs::is_directory(root, error))
        throw Error("model folder '" + folder
            + "' does not exist or is not a folder "
              "(hint: choose the folder that contains config.json)");
    SafetensorsFolder result;
    result.m_folder = folder;
    if (fileExists(root / kIndexName)) {
        result.m_sharded = true;
        std::map<std::string, std::shared_ptr<const SafetensorsFile>> shards;
        for (const auto &[tensor, shardName] : readWeightMap(root / kIndexName)) {
            auto &shard = shards[shardName];
            if (!shard) {
                if (!fileExists(root / shardName))
                    throw Error("model folder '" + folder + "': the index names the shard '" + shardName
                        + "', which is missing (hint: the download is incomplete; fetch every "
                          "model-*-of-*.safetensors file)");
                shard = SafetensorsFile::open((root / shardName).string());
                result.m_files.push_back(shard);
            }
            const TensorInfo *info = shard->find(tensor);
            if (!info)
                throw Error("model folder '" + folder + "': the index puts tensor '" + tensor + "' in '" + shardName
                    + "', but that file does not contain it (hint: the index and the shards come from "
                      "different downloads)");
            result.m_entries.push_back({ tensor, Entry { shard, info } });
        }
    } else if (fileExists(root / kSingleName)) {
        auto file = SafetensorsFile::open((root / kSingleName).string());
        result.m_files.push_back(file);
        for (const TensorInfo &info : file->tensors())
            result.m_entries.push_back({ info.name, Entry { file, &info } });
        std::sort(result.m_entries.begin(), result.m_entries.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
    } else {
        failNoWeights(root);
    }
    return result;
}

SafetensorsFolder::Entry SafetensorsFolder::find(const std::string &name) const
{
    const auto it = std::lower_bound(m_entries.begin(), m_entries.end(), name,
        [](const auto &entry, const std::string &key) { return entry.first < key; });
    if (it == m_entries.end() || it->first != name)
        return {};
    return it->second;
}

std::vector<std::string> SafetensorsFolder::tensorNames() const
{
    std::vector<std::string> names;
    names.reserve(m_entries.size());
    for (const auto &entry : m_entries)
        names.push_back(entry.first);
    return names;
}

std::uint64_t SafetensorsFolder::totalBytes() const
{
    std::uint64_t total = 0;
    for (const auto &entry : m_entries)
        total += entry.second.info->byteSize();
    return total;
}

} // namespace engine

// The weights of a Hugging Face model folder: `model.safetensors.index.json`
// with its shards, or a single `model.safetensors`. Maps every tensor name to
// the mapped file that holds it. Refuses pickle checkpoints (pytorch_model.bin)
// with an explanation; never opens them. Torch-free.
#pragma once

#include "engine/io/safetensors.h"

#include <memory>
#include <string>
#include <vector>

namespace engine {

class SafetensorsFolder
{
public:
    // One tensor and the file holding it.
    struct Entry
    {
        std::shared_ptr<const SafetensorsFile> file;
        const TensorInfo *info = nullptr; // owned by `file`
    };

    // Opens the weights of `folder`; throws engine::Error naming the folder or
    // file and the problem (missing weights, pickle-only folder, a shard named
    // in the index that is missing or lacks a tensor the index lists, ...).
    static SafetensorsFolder open(const std::string &folder);

    const std::string &folder() const { return m_folder; }
    // Entry for `name`, or an Entry with file == nullptr.
    Entry find(const std::string &name) const;
    bool contains(const std::string &name) const { return find(name).file != nullptr; }
    // All tensor names, sorted.
    std::vector<std::string> tensorNames() const;
    // The files opened (one, or every distinct shard of the index).
    const std::vector<std::shared_ptr<const SafetensorsFile>> &files() const { return m_files; }
    // Sum of the tensors' byte sizes (the index's total_size).
    std::uint64_t totalBytes() const;
    // True when the weights came from model.safetensors.index.json.
    bool isSharded() const { return m_sharded; }

private:
    std::string m_folder;
    bool m_sharded = false;
    std::vector<std::shared_ptr<const SafetensorsFile>> m_files;
    std::vector<std::pair<std::string, Entry>> m_entries; // sorted by name
};

} // namespace engine

// Writing GGUF v3 files (the llama.cpp format): typed key/value metadata, then
// tensor infos, then the tensor data, each tensor padded to the alignment (32)
// and written densely in info order, as ggml's reader requires. Dimensions are
// given in PyTorch order (outermost first) and stored reversed (ne[0] is the
// innermost). Checks the rules ggml enforces (unique keys and names, names
// under 64 bytes, block-size divisibility). Does not quantise: callers pass
// the bytes of each tensor in its GGUF type, either at once or through a
// producer called while the file is written (one tensor in memory at a time,
// for whole models). Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace engine {

// GGUF tensor types Lorafit writes (ids from ggml.h).
enum class GgufType : std::uint32_t {
    F32 = 0,
    F16 = 1,
    Q8_0 = 8, // blocks of 32: f16 scale + 32 int8
    BF16 = 30,
};

// Bytes of `elements` values of `type` (elements a multiple of the block size).
std::uint64_t ggufTypeBytes(GgufType type, std::uint64_t elements);
// Elements per block: 32 for Q8_0, else 1.
int ggufBlockSize(GgufType type);

class GgufWriter
{
public:
    static constexpr std::uint32_t kAlignment = 32; // general.alignment default

    void addString(const std::string &key, const std::string &value);
    void addUint32(const std::string &key, std::uint32_t value);
    void addFloat32(const std::string &key, float value);
    void addBool(const std::string &key, bool value);
    void addInt32(const std::string &key, std::int32_t value);
    void addStringArray(const std::string &key, const std::vector<std::string> &values);
    void addInt32Array(const std::string &key, const std::vector<std::int32_t> &values);
    void addFloat32Array(const std::string &key, const std::vector<float> &values);
    // Throws engine::Error for a bad name or shape, or data of the wrong size.
    // `shape` in PyTorch order; `data` holds the tensor's bytes in `type`.
    void addTensor(const std::string &name, const std::vector<std::int64_t> &shape, GgufType type, std::string data);
    // The same, with the bytes made by `produce` during write(), in info order;
    // write() throws engine::Error if it returns the wrong number of bytes.
    using Producer = std::function<std::string()>;
    void addTensor(const std::string &name, const std::vector<std::int64_t> &shape, GgufType type, Producer produce);
    std::size_t tensorCount() const { return m_tensors.size(); }

    // The size of the file write() produces.
    std::uint64_t fileBytes() const;
    // Writes the file atomically. Throws engine::Error naming the path.
    void write(const std::string &path) const;

private:
    struct Tensor
    {
        std::string name;
        std::vector<std::int64_t> shape;
        GgufType type;
        std::uint64_t bytes;
        std::string data; // empty when `produce` makes it
        Producer produce;
    };
    void beginKey(const std::string &key, std::uint32_t valueType);
    std::uint64_t checkTensor(const std::string &name, const std::vector<std::int64_t> &shape, GgufType type);
    std::string header() const;

    std::string m_kv; // serialized key/value pairs
    std::uint64_t m_kvCount = 0;
    std::set<std::string> m_keys;
    std::vector<Tensor> m_tensors;
    std::set<std::string> m_names;
};

} // namespace engine

#include "engine/io/safetensorstorch.h"

#include "engine/core/status.h"
#include "engine/io/safetensorswriter.h"

#include <cstring>

namespace engine {

namespace {

const std::map<std::string, torch::Dtype> &dtypeTable()
{
    static const std::map<std::string, torch::Dtype> table = { { "BOOL", torch::kBool }, { "U8", torch::kUInt8 },
        { "I8", torch::kInt8 }, { "I16", torch::kInt16 }, { "F16", torch::kHalf }, { "BF16", torch::kBFloat16 },
        { "I32", torch::kInt32 }, { "F32", torch::kFloat32 }, { "C64", torch::kComplexFloat },
        { "F64", torch::kFloat64 }, { "I64", torch::kInt64 } };
    return table;
}

std::vector<TensorData> describe(
    const std::vector<std::pair<std::string, torch::Tensor>> &tensors, std::vector<torch::Tensor> &keepAlive)
{
    std::vector<TensorData> described;
    for (const auto &[name, tensor] : tensors) {
        if (!tensor.defined())
            throw Error("cannot write tensor '" + name + "': it is undefined");
        torch::Tensor dense = tensor.detach().to(torch::kCPU).contiguous();
        keepAlive.push_back(dense);
        TensorData data;
        data.name = name;
        data.dtype = safetensorsDtypeOf(dense.scalar_type());
        data.shape.assign(dense.sizes().begin(), dense.sizes().end());
        data.data = dense.data_ptr();
        data.bytes = dense.nbytes();
        described.push_back(std::move(data));
    }
    return described;
}

} // namespace

torch::Dtype torchDtypeOf(const std::string &safetensorsDtype, const std::string &tensorName)
{
    const auto it = dtypeTable().find(safetensorsDtype);
    if (it == dtypeTable().end())
        throw Error("tensor '" + tensorName + "' has dtype " + safetensorsDtype
            + ", which this LibTorch build cannot represent (hint: convert the model to F32, F16 or BF16)");
    return it->second;
}

std::string safetensorsDtypeOf(torch::Dtype dtype)
{
    for (const auto &[name, torchType] : dtypeTable())
        if (torchType == dtype)
            return name;
    throw Error(std::string("cannot store torch dtype ") + c10::toString(dtype) + " in safetensors");
}

torch::Tensor tensorFromFile(const std::shared_ptr<const SafetensorsFile> &file, const TensorInfo &info)
{
    const torch::Dtype dtype = torchDtypeOf(info.dtype, info.name);
    const auto options = torch::TensorOptions().dtype(dtype);
    const std::uint8_t *bytes = file->data(info);
    const std::size_t elementSize = c10::elementSize(dtype);
    if (reinterpret_cast<std::uintptr_t>(bytes) % elementSize == 0) {
        // The mapping is copy-on-write, so handing out a mutable pointer is safe.
        auto keepAlive = file;
        return torch::from_blob(
            const_cast<std::uint8_t *>(bytes), info.shape, [keepAlive](void *) mutable { keepAlive.reset(); }, options);
    }
    torch::Tensor copy = torch::empty(info.shape, options);
    if (info.byteSize() > 0)
        std::memcpy(copy.data_ptr(), bytes, info.byteSize());
    return copy;
}

torch::Tensor floatTensorFromFile(const std::shared_ptr<const SafetensorsFile> &file, const TensorInfo &info)
{
    torch::Tensor stored = tensorFromFile(file, info);
    if (stored.scalar_type() == torch::kFloat32)
        return stored;
    if (stored.scalar_type() == torch::kComplexFloat || stored.scalar_type() == torch::kBool)
        throw Error("tensor '" + info.name + "' in '" + file->path() + "' has dtype " + info.dtype
            + ", which is not a real number type (hint: this tensor cannot be a model weight)");
    return stored.to(torch::kFloat32);
}

std::map<std::string, torch::Tensor> loadSafetensors(const std::string &path)
{
    const auto file = SafetensorsFile::open(path);
    std::map<std::string, torch::Tensor> tensors;
    for (const TensorInfo &info : file->tensors())
        tensors[info.name] = tensorFromFile(file, info);
    return tensors;
}

void saveSafetensors(const std::string &path, const std::vector<std::pair<std::string, torch::Tensor>> &tensors,
    const std::map<std::string, std::string> &metadata)
{
    std::vector<torch::Tensor> keepAlive;
    writeSafetensors(path, describe(tensors, keepAlive), metadata);
}

std::vector<std::string> saveSafetensorsSharded(const std::string &folder,
    const std::vector<std::pair<std::string, torch::Tensor>> &tensors, std::uint64_t maxShardBytes,
    const std::map<std::string, std::string> &metadata)
{
    std::vector<torch::Tensor> keepAlive;
    return writeShardedSafetensors(folder, describe(tensors, keepAlive), maxShardBytes, metadata);
}

} // namespace engine

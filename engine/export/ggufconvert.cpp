#include "engine/export/ggufconvert.h"

#include "engine/core/status.h"
#include "engine/io/safetensorsfolder.h"
#include "engine/io/safetensorstorch.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

namespace engine {

std::uint32_t ggufFileType(TensorDtype dtype)
{
    switch (dtype) {
    case TensorDtype::F32: return 0;
    case TensorDtype::F16: return 1;
    case TensorDtype::Q8_0: return 7;
    case TensorDtype::BF16: return 32;
    }
    return 0;
}

std::string ggufTypeLabel(TensorDtype dtype)
{
    std::string name = tensorDtypeName(dtype);
    for (char &c : name)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

GgufType ggufTensorType(TensorDtype dtype, const std::vector<std::int64_t> &shape)
{
    if (shape.size() < 2)
        return GgufType::F32; // norms, biases, rope factors: f32 whatever the request
    switch (dtype) {
    case TensorDtype::F32: return GgufType::F32;
    case TensorDtype::F16: return GgufType::F16;
    case TensorDtype::BF16: return GgufType::BF16;
    case TensorDtype::Q8_0: return shape.back() % 32 == 0 ? GgufType::Q8_0 : GgufType::F16;
    }
    return GgufType::F32;
}

namespace {

std::string denseBytes(const torch::Tensor &t)
{
    const torch::Tensor dense = t.contiguous();
    return std::string(static_cast<const char *>(dense.data_ptr()), dense.nbytes());
}

// ggml's quantize_row_q8_0_ref: per block of 32, d = max|x|/127 stored as f16, q = round(x/d).
std::string quantizeQ8_0(const torch::Tensor &values)
{
    const torch::Tensor x = values.to(torch::kFloat32).contiguous();
    const float *data = x.data_ptr<float>();
    const std::int64_t blocks = x.numel() / 32;
    std::string out(static_cast<std::size_t>(blocks) * 34, '\0');
    for (std::int64_t b = 0; b < blocks; ++b) {
        const float *block = data + b * 32;
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j)
            amax = std::max(amax, std::fabs(block[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const c10::Half half(d);
        char *dst = out.data() + b * 34;
        std::memcpy(dst, &half.x, 2);
        for (int j = 0; j < 32; ++j)
            dst[2 + j] = static_cast<char>(static_cast<std::int8_t>(std::round(block[j] * id)));
    }
    return out;
}

} // namespace

std::string ggufTensorBytes(const torch::Tensor &t, GgufType type)
{
    const torch::Tensor cpu = t.detach().to(torch::kCPU);
    switch (type) {
    case GgufType::F32: return denseBytes(cpu.to(torch::kFloat32));
    case GgufType::F16: return denseBytes(cpu.to(torch::kFloat16));
    case GgufType::BF16: return denseBytes(cpu.to(torch::kBFloat16));
    case GgufType::Q8_0: return quantizeQ8_0(cpu);
    }
    return {};
}

void addGgufTensor(GgufWriter &writer, const std::string &name, const torch::Tensor &t, TensorDtype dtype)
{
    const std::vector<std::int64_t> shape(t.sizes().begin(), t.sizes().end());
    const GgufType type = ggufTensorType(dtype, shape);
    writer.addTensor(name, shape, type, ggufTensorBytes(t, type));
}

torch::Tensor originalBaseWeight(const std::string &baseFolder, const std::string &parameter)
{
    const SafetensorsFolder weights = SafetensorsFolder::open(baseFolder);
    const SafetensorsFolder::Entry entry = weights.find(parameter);
    if (!entry.file)
        throw Error("'" + baseFolder + "' has no tensor '" + parameter + "' (hint: choose the base model the adapter "
                    "was trained on)");
    return tensorFromFile(entry.file, *entry.info).to(torch::kFloat32).clone();
}

void pissaInitialPair(const torch::Tensor &w, std::int64_t rank, double scaling, torch::Tensor &a0, torch::Tensor &b0)
{
    torch::NoGradGuard noGrad;
    auto [u, s, vh] = torch::linalg::svd(w.to(torch::kFloat), false, c10::nullopt); // (O,K) (K) (K,I)
    const torch::Tensor sr = (s.slice(0, 0, rank) / scaling).sqrt(); // (R)
    a0 = sr.unsqueeze(1) * vh.slice(0, 0, rank);                       // (R, I)
    b0 = u.slice(1, 0, rank) * sr.unsqueeze(0);                        // (O, R)
}

torch::Tensor permuteQkRows(const torch::Tensor &t, std::int64_t heads)
{
    const std::int64_t rows = t.size(0);
    const torch::Tensor matrix = t.reshape({rows, -1}); // (O, K)
    const std::int64_t k = matrix.size(1);
    return matrix.reshape({heads, 2, rows / heads / 2, k}).transpose(1, 2).reshape(t.sizes()); // (O, K) or (O)
}

} // namespace engine

#include "engine/quant/nf4.h"

#include "engine/core/status.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

namespace engine {

namespace {

// Midpoints between neighbouring values of an ascending table: the index of
// the nearest value of x is the number of midpoints below x (a value exactly
// on a midpoint goes to the lower index, as in bitsandbytes).
template <std::size_t N>
std::array<float, N - 1> midpoints(const std::array<float, N> &values)
{
    std::array<float, N - 1> mids{};
    for (std::size_t i = 0; i + 1 < N; ++i)
        mids[i] = (values[i] + values[i + 1]) / 2.0f;
    return mids;
}

template <std::size_t M>
std::uint8_t nearestIndex(const std::array<float, M> &mids, float x)
{
    return static_cast<std::uint8_t>(std::lower_bound(mids.begin(), mids.end(), x) - mids.begin());
}

void checkOptions(const Nf4Options &options)
{
    const auto powerOfTwo = [](std::int64_t n) { return n > 0 && (n & (n - 1)) == 0; };
    if (!powerOfTwo(options.blockSize) || options.blockSize < 32 || options.blockSize > 4096)
        throw Error("NF4 block size " + std::to_string(options.blockSize)
            + " is not a power of two from 32 to 4096 (hint: QLoRA uses 64)");
    if (!powerOfTwo(options.absmaxBlockSize) || options.absmaxBlockSize < 32)
        throw Error("NF4 absmax block size " + std::to_string(options.absmaxBlockSize)
            + " is not a power of two of at least 32 (hint: QLoRA uses 256)");
}

// Second level: absmax values (f32, blocks) -> 8-bit dynamic-map codes after
// subtracting their mean, one f32 scale per absmaxBlockSize values.
void quantizeAbsmax(const std::vector<float> &absmax, Nf4Weight &out)
{
    const auto blocks = static_cast<std::int64_t>(absmax.size());
    double sum = 0.0;
    for (const float a : absmax)
        sum += a;
    const float offset = static_cast<float>(sum / static_cast<double>(blocks));
    const std::int64_t groups = (blocks + out.absmaxBlockSize - 1) / out.absmaxBlockSize;
    out.absmaxOffset = offset;
    out.absmaxCodes = torch::empty({ blocks }, torch::kUInt8);
    out.absmaxScales = torch::empty({ groups }, torch::kFloat);
    std::uint8_t *codes = out.absmaxCodes.data_ptr<std::uint8_t>();
    float *scales = out.absmaxScales.data_ptr<float>();
    static const auto mids = midpoints(nf4DynamicMap());
    for (std::int64_t g = 0; g < groups; ++g) {
        const std::int64_t begin = g * out.absmaxBlockSize;
        const std::int64_t end = std::min(blocks, begin + out.absmaxBlockSize);
        float scale = 0.0f;
        for (std::int64_t b = begin; b < end; ++b)
            scale = std::max(scale, std::abs(absmax[static_cast<std::size_t>(b)] - offset));
        scales[g] = scale;
        for (std::int64_t b = begin; b < end; ++b) {
            const float centred = absmax[static_cast<std::size_t>(b)] - offset;
            codes[b] = nearestIndex(mids, scale > 0.0f ? centred / scale : 0.0f);
        }
    }
}

// The per-block absmax on the CPU, undoing double quantisation.
std::vector<float> cpuAbsmax(const Nf4Weight &w)
{
    const std::int64_t blocks = w.blocks();
    std::vector<float> absmax(static_cast<std::size_t>(blocks));
    if (!w.doubleQuantized()) {
        const torch::Tensor a = w.absmax.to(torch::kCPU).contiguous();
        std::copy_n(a.data_ptr<float>(), blocks, absmax.begin());
        return absmax;
    }
    const torch::Tensor codes = w.absmaxCodes.to(torch::kCPU).contiguous();
    const torch::Tensor scales = w.absmaxScales.to(torch::kCPU).contiguous();
    const std::uint8_t *c = codes.data_ptr<std::uint8_t>();
    const float *s = scales.data_ptr<float>();
    const auto &map = nf4DynamicMap();
    const auto offset = static_cast<float>(w.absmaxOffset);
    for (std::int64_t b = 0; b < blocks; ++b)
        absmax[static_cast<std::size_t>(b)] = map[c[b]] * s[b / w.absmaxBlockSize] + offset;
    return absmax;
}

// One pass over the packed bytes, blocks split across the intra-op threads.
torch::Tensor dequantizeOnCpu(const Nf4Weight &w)
{
    const std::vector<float> absmax = cpuAbsmax(w);
    const torch::Tensor packed = w.packed.contiguous();
    const std::uint8_t *bytes = packed.data_ptr<std::uint8_t>();
    torch::Tensor out = torch::empty({ w.numel }, torch::kFloat);
    float *values = out.data_ptr<float>();
    const auto &code = nf4CodeBook();
    const std::int64_t n = w.numel, blockSize = w.blockSize;
    at::parallel_for(0, w.blocks(), 256, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t b = first; b < last; ++b) {
            const float scale = absmax[static_cast<std::size_t>(b)];
            const std::int64_t begin = b * blockSize; // even: block sizes are powers of two >= 32
            const std::int64_t end = std::min(n, begin + blockSize);
            std::int64_t e = begin;
            for (; e + 1 < end; e += 2) {
                const std::uint8_t byte = bytes[e / 2];
                values[e] = code[byte >> 4] * scale;
                values[e + 1] = code[byte & 0x0F] * scale;
            }
            if (e < end) // an odd element count: the last byte's low nibble is padding
                values[e] = code[bytes[e / 2] >> 4] * scale;
        }
    });
    return out.view(w.shape);
}

// The same with tensor operations, for devices without the loop above.
torch::Tensor dequantizeWithTensors(const Nf4Weight &w)
{
    const torch::Device device = w.packed.device();
    const torch::Tensor code = torch::tensor(std::vector<float>(nf4CodeBook().begin(), nf4CodeBook().end()),
        torch::TensorOptions().dtype(torch::kFloat)).to(device);
    const torch::Tensor packed = w.packed.to(torch::kInt64);                          // (P)
    const torch::Tensor indices = torch::stack({ packed.bitwise_right_shift(4), packed.bitwise_and(15) }, 1)
                                      .reshape({ -1 });                                // (2P)
    const std::int64_t padded = w.blocks() * w.blockSize;
    torch::Tensor values = code.index_select(0, indices);                              // (2P)
    values = torch::constant_pad_nd(values, { 0, padded - values.size(0) });           // (blocks · blockSize)
    values = values.view({ w.blocks(), w.blockSize }) * nf4Absmax(w).unsqueeze(1);     // (blocks, blockSize)
    return values.reshape({ -1 }).slice(0, 0, w.numel).view(w.shape);
}

// Carries what the backward pass needs to dequantise again: the tensors of
// the weight (kept anyway by the module) and its few numbers.
void saveWeight(torch::autograd::AutogradContext *ctx, const Nf4Weight &w)
{
    ctx->saved_data["packed"] = w.packed;
    ctx->saved_data["absmax"] = w.absmax.defined() ? w.absmax : torch::Tensor();
    ctx->saved_data["codes"] = w.doubleQuantized() ? w.absmaxCodes : torch::Tensor();
    ctx->saved_data["scales"] = w.doubleQuantized() ? w.absmaxScales : torch::Tensor();
    ctx->saved_data["offset"] = w.absmaxOffset;
    ctx->saved_data["shape"] = w.shape;
    ctx->saved_data["numel"] = w.numel;
    ctx->saved_data["blockSize"] = w.blockSize;
    ctx->saved_data["absmaxBlockSize"] = w.absmaxBlockSize;
}

Nf4Weight savedWeight(torch::autograd::AutogradContext *ctx)
{
    Nf4Weight w;
    const auto optional = [](const c10::IValue &v) { return v.isTensor() ? v.toTensor() : torch::Tensor(); };
    w.packed = ctx->saved_data["packed"].toTensor();
    w.absmax = optional(ctx->saved_data["absmax"]);
    w.absmaxCodes = optional(ctx->saved_data["codes"]);
    w.absmaxScales = optional(ctx->saved_data["scales"]);
    w.absmaxOffset = ctx->saved_data["offset"].toDouble();
    w.shape = ctx->saved_data["shape"].toIntVector();
    w.numel = ctx->saved_data["numel"].toInt();
    w.blockSize = ctx->saved_data["blockSize"].toInt();
    w.absmaxBlockSize = ctx->saved_data["absmaxBlockSize"].toInt();
    return w;
}

class Nf4LinearFunction : public torch::autograd::Function<Nf4LinearFunction>
{
public:
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x,
        const Nf4Weight *weight, bool transposed)
    {
        saveWeight(ctx, *weight);
        ctx->saved_data["transposed"] = transposed;
        const torch::Tensor w = dequantizeNf4(*weight); // [out, in] or [in, out]
        return torch::matmul(x, transposed ? w : w.t()); // (..., out)
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
        torch::autograd::variable_list gradOutputs)
    {
        const torch::Tensor w = dequantizeNf4(savedWeight(ctx));
        const bool transposed = ctx->saved_data["transposed"].toBool();
        const torch::Tensor gradX = torch::matmul(gradOutputs[0], transposed ? w.t() : w); // (..., in)
        return { gradX, torch::Tensor(), torch::Tensor() };
    }
};

} // namespace

std::int64_t Nf4Weight::bytes() const
{
    std::int64_t total = 0;
    for (const torch::Tensor *t : { &packed, &absmax, &absmaxCodes, &absmaxScales })
        if (t->defined())
            total += t->numel() * static_cast<std::int64_t>(t->element_size());
    return total;
}

const std::array<float, 16> &nf4CodeBook()
{
    static const std::array<float, 16> code = { -1.0f, -0.6961928009986877f, -0.5250730514526367f,
        -0.39491748809814453f, -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f };
    return code;
}

const std::array<float, 256> &nf4DynamicMap()
{
    // Exponent i = 0..6 covers 10^(i-6)·(0.1, 1] with 2^i fraction steps (the
    // means of a linspace's neighbours), each with both signs; then 0 and 1.
    static const std::array<float, 256> map = [] {
        std::vector<float> values;
        for (int i = 0; i < 7; ++i) {
            const int boundaries = (1 << i) + 1;
            const double step = 0.9 / (boundaries - 1);
            const double scale = std::pow(10.0, i - 6);
            for (int k = 0; k + 1 < boundaries; ++k) {
                const double mean = 0.1 + step * (k + 0.5);
                values.push_back(static_cast<float>(scale * mean));
                values.push_back(static_cast<float>(-scale * mean));
            }
        }
        values.push_back(0.0f);
        values.push_back(1.0f);
        std::sort(values.begin(), values.end());
        std::array<float, 256> sorted{};
        std::copy(values.begin(), values.end(), sorted.begin());
        return sorted;
    }();
    return map;
}

Nf4Weight quantizeNf4(const torch::Tensor &weight, const Nf4Options &options)
{
    checkOptions(options);
    if (!weight.is_floating_point() || weight.numel() == 0)
        throw Error("NF4 quantisation needs a non-empty floating-point weight");
    torch::NoGradGuard noGrad;
    const torch::Tensor flat = weight.detach().to(torch::kCPU, torch::kFloat).contiguous().view({ -1 });
    const float *x = flat.data_ptr<float>();
    Nf4Weight out;
    out.shape = weight.sizes().vec();
    out.numel = weight.numel();
    out.blockSize = options.blockSize;
    out.absmaxBlockSize = options.absmaxBlockSize;
    const std::int64_t blocks = out.blocks();
    std::vector<float> absmax(static_cast<std::size_t>(blocks));
    out.packed = torch::zeros({ (out.numel + 1) / 2 }, torch::kUInt8);
    std::uint8_t *packed = out.packed.data_ptr<std::uint8_t>();
    static const auto mids = midpoints(nf4CodeBook());
    at::parallel_for(0, blocks, 256, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t b = first; b < last; ++b) {
            const std::int64_t begin = b * out.blockSize, end = std::min(out.numel, begin + out.blockSize);
            float scale = 0.0f;
            for (std::int64_t e = begin; e < end; ++e)
                scale = std::max(scale, std::abs(x[e]));
            absmax[static_cast<std::size_t>(b)] = scale;
            for (std::int64_t e = begin; e < end; ++e) {
                const float normalised = scale > 0.0f ? std::clamp(x[e] / scale, -1.0f, 1.0f) : 0.0f;
                const std::uint8_t index = nearestIndex(mids, normalised);
                packed[e / 2] |= (e % 2 == 0) ? static_cast<std::uint8_t>(index << 4) : index;
            }
        }
    });
    if (options.doubleQuantization) {
        quantizeAbsmax(absmax, out);
    } else {
        out.absmax = torch::from_blob(absmax.data(), { blocks }, torch::kFloat).clone();
    }
    const torch::Device device = weight.device();
    for (torch::Tensor *t : { &out.packed, &out.absmax, &out.absmaxCodes, &out.absmaxScales })
        if (t->defined())
            *t = t->to(device);
    return out;
}

torch::Tensor nf4Absmax(const Nf4Weight &weight)
{
    if (!weight.doubleQuantized())
        return weight.absmax;
    const torch::Device device = weight.absmaxCodes.device();
    const torch::Tensor map = torch::tensor(std::vector<float>(nf4DynamicMap().begin(), nf4DynamicMap().end()),
        torch::TensorOptions().dtype(torch::kFloat)).to(device);
    const torch::Tensor scales = weight.absmaxScales.repeat_interleave(weight.absmaxBlockSize)
                                     .slice(0, 0, weight.blocks()); // (blocks)
    return map.index_select(0, weight.absmaxCodes.to(torch::kInt64)) * scales + weight.absmaxOffset;
}

torch::Tensor dequantizeNf4(const Nf4Weight &weight)
{
    return weight.packed.device().is_cpu() ? dequantizeOnCpu(weight) : dequantizeWithTensors(weight);
}

torch::Tensor nf4Linear(const torch::Tensor &x, const Nf4Weight &weight, const torch::Tensor &bias, bool transposed)
{
    // The bias stays outside the function: autograd functions take no undefined tensors.
    const torch::Tensor y = Nf4LinearFunction::apply(x, &weight, transposed); // (..., out)
    return bias.defined() ? y + bias : y;
}

} // namespace engine

#include "engine/model/linear.h"

#include "engine/core/status.h"
#include "engine/core/torchcompat.h"

namespace engine {

LinearImpl::LinearImpl(std::int64_t in, std::int64_t out, bool withBias, bool conv1d)
    : m_in(in)
    , m_out(out)
    , m_conv1d(conv1d)
{
    weight = register_parameter("weight", conv1d ? torch::empty({ in, out }) : torch::empty({ out, in }), false);
    if (withBias)
        bias = register_parameter("bias", torch::empty({ out }), false);
}

LinearImpl::LinearImpl(torch::Tensor tiedWeight)
    : weight(std::move(tiedWeight))
    , m_in(weight.size(1))
    , m_out(weight.size(0))
    , m_tied(true)
{ }

torch::Tensor LinearImpl::weightOutIn() const
{
    const torch::Tensor w = m_nf4 ? dequantizeNf4(*m_nf4) : weight;
    return m_conv1d ? w.t() : w;
}

void LinearImpl::quantizeNf4(const Nf4Options &options)
{
    if (m_tied)
        throw Error("a tied projection shares the embedding's weight and is not quantised");
    if (m_nf4)
        return;
    m_nf4 = std::make_unique<Nf4Weight>(engine::quantizeNf4(weight, options));
    torch::NoGradGuard noGrad;
    weight.set_(); // frees the f32 storage; the registered parameter stays (empty)
}

void LinearImpl::storeBf16()
{
    if (m_tied)
        throw Error("a tied projection shares the embedding's weight and is not converted to bf16");
    if (m_nf4)
        return;
    torch::NoGradGuard noGrad;
    weight.set_data(weight.to(torch::kBFloat16));
}

std::int64_t LinearImpl::weightBytes() const
{
    return m_nf4 ? m_nf4->bytes() : weight.numel() * static_cast<std::int64_t>(weight.element_size());
}

torch::Tensor LinearImpl::baseForward(const torch::Tensor &x) const
{
    if (m_nf4)
        return nf4Linear(x, *m_nf4, bias, m_conv1d);
    // A bf16 weight (storeBf16) meets an f32 input only outside autocast
    // (autocast casts both to bf16 itself); an f32 weight is used as it is.
    const bool cast = weight.scalar_type() != x.scalar_type() && !(x.is_cuda() && torchcompat::cudaAutocastEnabled());
    const torch::Tensor w = cast ? weight.to(x.scalar_type()) : weight;
    if (m_conv1d) { // y = x W + b with W [in, out]
        const torch::Tensor y = torch::matmul(x, w); // (..., out)
        return bias.defined() ? y + bias : y; // (..., out)
    }
    return torch::nn::functional::linear(x, w, bias); // (..., out)
}

torch::Tensor LinearImpl::forward(const torch::Tensor &x)
{
    torch::Tensor out = baseForward(x); // (..., out)
    return m_adapter ? m_adapter->apply(x, out) : out;
}

} // namespace engine

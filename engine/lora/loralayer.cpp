#include "engine/lora/loralayer.h"

#include "engine/core/status.h"
#include "engine/lora/lorabranch.h"

#include <cmath>

namespace engine {

namespace {

// kaiming_uniform_(a=√5) on a (rows, fanIn) tensor: U(-1/√fanIn, 1/√fanIn).
torch::Tensor kaimingUniform(std::int64_t rows, std::int64_t fanIn, torch::Generator &generator)
{
    const double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
    return torch::empty({rows, fanIn}).uniform_(-bound, bound, generator);
}

} // namespace

LoraLayerImpl::LoraLayerImpl(Linear base, int rank, double scaling, double dropout, LoraInit init, bool dora,
                             torch::Generator generator)
    : m_base(std::move(base)), m_rank(rank), m_scaling(scaling), m_dropout(dropout)
{
    const std::int64_t in = m_base->inFeatures(), out = m_base->outFeatures();
    torch::Tensor a, b;
    switch (init) {
    case LoraInit::Kaiming:
        a = kaimingUniform(rank, in, generator); // (R, I)
        b = torch::zeros({out, rank});           // (O, R)
        break;
    case LoraInit::Gaussian:
        a = torch::empty({rank, in}).normal_(0.0, 1.0 / rank, generator); // (R, I)
        b = torch::zeros({out, rank});                                     // (O, R)
        break;
    case LoraInit::Reversed:
        a = torch::zeros({rank, in});              // (R, I)
        b = kaimingUniform(out, rank, generator);  // (O, R)
        break;
    case LoraInit::Pissa: {
        if (m_base->isQuantized())
            throw Error("PiSSA needs the full-precision base weight (hint: quantise the base to NF4 after adding "
                        "the adapters)");
        if (m_base->isTied())
            throw Error("PiSSA cannot initialise a projection that shares its weight with the token embedding "
                        "(hint: leave lm_head out of the targets)");
        torch::NoGradGuard noGrad;
        torch::Tensor w = m_base->weightOutIn(); // (O, I), a view into the base weight
        auto [u, s, vh] = at::linalg_svd(w.to(torch::kFloat), false, c10::nullopt); // (O,K) (K) (K,I)
        const torch::Tensor sr = (s.slice(0, 0, rank) / scaling).sqrt(); // (R)
        a = sr.unsqueeze(1) * vh.slice(0, 0, rank);                       // (R, I)
        b = u.slice(1, 0, rank) * sr.unsqueeze(0);                        // (O, R)
        w.sub_(torch::matmul(b, a) * scaling); // the frozen residual W − s·B·A
        break;
    }
    }
    A = register_parameter("lora_A", a.contiguous());
    B = register_parameter("lora_B", b.contiguous());
    if (dora) {
        torch::NoGradGuard noGrad;
        magnitude = register_parameter("lora_magnitude_vector", doraNorm().clone());
    }
}

torch::Tensor LoraLayerImpl::doraNorm() const
{
    torch::NoGradGuard noGrad;
    // On the base weight's device (while the constructor runs, A and B are
    // still on the CPU and the base may be on a GPU), in f32 at least (a bf16
    // base widens), and returned where the adapter lives.
    const torch::Tensor base = m_base->weightOutIn();                                           // (O, I)
    const torch::Tensor w = base + m_scaling * torch::matmul(B, A).to(base.device());           // (O, I)
    return at::linalg_vector_norm(w, 2, {1}, false, c10::nullopt).to(A.device(), A.scalar_type()); // (O)
}

torch::Tensor LoraLayerImpl::apply(const torch::Tensor &x, const torch::Tensor &baseOut)
{
    if (m_capture)
        *m_capture = x.detach().reshape({ -1, x.size(-1) }); // (N, I)
    if (m_merged || !m_enabled)
        return baseOut;
    const bool dropping = is_training() && m_dropout > 0.0;
    if (!magnitude.defined() && loraBranchSupports(x))
        return loraBranch(x, baseOut, A, B, m_scaling, dropping ? m_dropout : 0.0, dropping ? drawDropoutSeed() : 0);
    const torch::Tensor dropped = dropping ? torch::dropout(x, m_dropout, true) : x; // (N, I)
    const torch::Tensor lora = torch::matmul(torch::matmul(dropped, A.t()), B.t()) * m_scaling; // (N, O)
    if (!magnitude.defined())
        return baseOut + lora; // (N, O)
    // DoRA: y = base(x) + (k − 1)·W·x' + k·s·B·A·x', k = m / ‖W + s·B·A‖ (norm detached).
    const torch::Tensor k = magnitude / doraNorm(); // (O)
    torch::Tensor baseNoBias;
    if (dropping)
        baseNoBias = torch::matmul(dropped, m_base->weightOutIn().t()); // (N, O)
    else
        baseNoBias = m_base->hasBias() ? baseOut - m_base->bias : baseOut; // (N, O)
    return baseOut + (k - 1.0) * baseNoBias + k * lora; // (N, O)
}

torch::Tensor LoraLayerImpl::deltaWeightOutIn() const
{
    torch::NoGradGuard noGrad;
    return torch::matmul(B, A) * m_scaling; // (O, I)
}

void LoraLayerImpl::merge()
{
    if (m_merged)
        return;
    if (m_base->isTied())
        throw Error("cannot merge a LoRA adapter into a projection that shares its weight with the token embedding "
                    "(hint: leave lm_head out of the targets, or export the adapter instead of a merged model)");
    if (m_base->isQuantized())
        throw Error("cannot merge a LoRA adapter into a 4-bit NF4 base weight (hint: merged exports load the base "
                    "model again in full precision)");
    torch::NoGradGuard noGrad;
    torch::Tensor w = m_base->weightOutIn(); // (O, I) view
    if (magnitude.defined()) {
        m_mergedNorm = doraNorm();
        const torch::Tensor k = (magnitude / m_mergedNorm).unsqueeze(1); // (O, 1)
        w.add_(deltaWeightOutIn()).mul_(k);
    } else {
        w.add_(deltaWeightOutIn());
    }
    m_merged = true;
}

void LoraLayerImpl::unmerge()
{
    if (!m_merged)
        return;
    torch::NoGradGuard noGrad;
    torch::Tensor w = m_base->weightOutIn(); // (O, I) view
    if (magnitude.defined())
        w.div_((magnitude / m_mergedNorm).unsqueeze(1));
    w.sub_(deltaWeightOutIn());
    m_merged = false;
}

} // namespace engine

#include "engine/model/rotary.h"

#include <cmath>

namespace engine {

namespace {

// Llama 3.1 frequency rescaling: long wavelengths are divided by `factor`,
// short ones kept, the band in between interpolated smoothly.
torch::Tensor llama3Scaled(const torch::Tensor &invFreq, const RopeScaling &s)
{
    const double lowWavelength = static_cast<double>(s.originalMaxPositions) / s.lowFreqFactor;
    const double highWavelength = static_cast<double>(s.originalMaxPositions) / s.highFreqFactor;
    const torch::Tensor wavelength = 2.0 * M_PI / invFreq;
    torch::Tensor scaled = torch::where(wavelength > lowWavelength, invFreq / s.factor, invFreq);
    const torch::Tensor smooth = (static_cast<double>(s.originalMaxPositions) / wavelength - s.lowFreqFactor)
        / (s.highFreqFactor - s.lowFreqFactor);
    const torch::Tensor smoothed = (1.0 - smooth) * scaled / s.factor + smooth * scaled;
    const torch::Tensor medium = (wavelength >= highWavelength) & (wavelength <= lowWavelength);
    return torch::where(medium, smoothed, scaled);
}

torch::Tensor factorTensor(const std::vector<double> &factors)
{
    return torch::tensor(factors, torch::kFloat64).to(torch::kFloat32); // (rd/2)
}

} // namespace

Rotary::Rotary(const ModelConfig &config, bool local)
{
    const std::int64_t dim = config.rotaryDim();
    const bool localTable = local && config.ropeLocalTheta > 0.0;
    const torch::Tensor exponents
        = torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim);
    m_invFreq = 1.0 / torch::pow(localTable ? config.ropeLocalTheta : config.ropeTheta, exponents); // (rd/2)
    if (localTable)
        return; // Gemma 3's local layers: default RoPE
    if (config.ropeScaling.type == "linear")
        m_invFreq = m_invFreq / config.ropeScaling.factor;
    else if (config.ropeScaling.type == "llama3")
        m_invFreq = llama3Scaled(m_invFreq, config.ropeScaling);
    else if (config.ropeScaling.type == "longrope") {
        m_longInvFreq = m_invFreq / factorTensor(config.ropeScaling.longFactor);
        m_invFreq = m_invFreq / factorTensor(config.ropeScaling.shortFactor);
        m_longFrom = config.ropeScaling.originalMaxPositions;
        m_attentionFactor = config.ropeScaling.attentionFactor;
    }
}

std::pair<torch::Tensor, torch::Tensor> Rotary::cosSin(std::int64_t start, std::int64_t count) const
{
    const torch::Tensor positions = torch::arange(start, start + count, torch::kInt64).to(torch::kFloat32); // (T)
    const bool useLong = m_longInvFreq.defined() && start + count > m_longFrom;
    const torch::Tensor freqs = torch::outer(positions, useLong ? m_longInvFreq : m_invFreq); // (T, rd/2)
    const torch::Tensor angles = torch::cat({ freqs, freqs }, -1); // (T, rd)
    if (m_attentionFactor != 1.0)
        return { angles.cos() * m_attentionFactor, angles.sin() * m_attentionFactor };
    return { angles.cos(), angles.sin() };
}

} // namespace engine

#include "engine/train/deltaprobe.h"

namespace engine {

namespace {

// RMS over all elements, as a 0-d tensor.
torch::Tensor rms(const torch::Tensor &t)
{
    return t.square().mean().sqrt();
}

} // namespace

DeltaProbe::DeltaProbe(const CausalLm &model, LoraModel &lora, torch::Tensor probeIds)
    : m_model(model)
    , m_lora(lora)
    , m_ids(std::move(probeIds))
{ }

void DeltaProbe::capture()
{
    torch::NoGradGuard noGrad;
    const auto &matrices = m_lora.matrices();
    m_inputs.assign(matrices.size(), torch::Tensor());
    m_a.clear();
    m_b.clear();
    for (std::size_t i = 0; i < matrices.size(); ++i) {
        matrices[i].lora.ptr()->setInputCapture(&m_inputs[i]);
        m_a.push_back(matrices[i].lora->A.detach().clone()); // (R, I)
        m_b.push_back(matrices[i].lora->B.detach().clone()); // (O, R)
    }
    // The adapters' own mode, not the base module's (which stays in eval): a
    // probe must leave LoRA dropout as it found it.
    const bool wasTraining = !matrices.empty() && matrices.front().lora->is_training();
    m_lora.setTraining(false);
    m_model.forward(m_ids);
    m_lora.setTraining(wasTraining);
    for (const AdaptedMatrix &matrix : matrices)
        matrix.lora.ptr()->setInputCapture(nullptr);
}

void DeltaProbe::measure(std::vector<MatrixMetrics> &out)
{
    torch::NoGradGuard noGrad;
    const auto &matrices = m_lora.matrices();
    std::vector<torch::Tensor> values;
    values.reserve(3 * matrices.size());
    for (std::size_t i = 0; i < matrices.size(); ++i) {
        const torch::Tensor &x = m_inputs[i];                               // (N, I)
        const torch::Tensor dA = matrices[i].lora->A.detach() - m_a[i];     // (R, I)
        const torch::Tensor dB = matrices[i].lora->B.detach() - m_b[i];     // (O, R)
        const torch::Tensor dAx = torch::matmul(x, dA.t());                 // (N, R)
        const torch::Tensor ax = torch::matmul(x, m_a[i].t());              // (N, R)
        values.push_back(rms(torch::matmul(dAx, m_b[i].t())));              // δ1 (N, O)
        values.push_back(rms(torch::matmul(ax, dB.t())));                   // δ2 (N, O)
        values.push_back(rms(torch::matmul(dAx, dB.t())));                  // δ3 (N, O)
    }
    if (values.empty())
        return;
    const torch::Tensor host = torch::stack(values).to(torch::kCPU, torch::kFloat).contiguous();
    const float *v = host.data_ptr<float>();
    for (std::size_t i = 0; i < matrices.size(); ++i) {
        out[i].delta1 = v[3 * i];
        out[i].delta2 = v[3 * i + 1];
        out[i].delta3 = v[3 * i + 2];
    }
    m_inputs.clear();
}

} // namespace engine

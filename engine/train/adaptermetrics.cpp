#include "engine/train/adaptermetrics.h"

#include <cmath>

namespace engine {

namespace {

torch::Tensor segmentIds(const std::vector<torch::Tensor> &tensors, const torch::Device &device)
{
    std::vector<torch::Tensor> ids;
    ids.reserve(tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i)
        ids.push_back(torch::full({ tensors[i].numel() }, static_cast<std::int64_t>(i),
            torch::TensorOptions().dtype(torch::kInt64).device(device)));
    return torch::cat(ids); // (P)
}

// The Frobenius norm of each group of tensors (undefined ones count as zero):
// the tensors' norms in one multi-tensor launch per group, one host sync for all.
std::vector<double> groupNorms(const std::vector<std::vector<torch::Tensor>> &groups)
{
    std::vector<torch::Tensor> squares; // () per non-empty group
    std::vector<std::size_t> filled;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        std::vector<torch::Tensor> defined;
        for (const torch::Tensor &t : groups[i])
            if (t.defined())
                defined.push_back(t.scalar_type() == torch::kFloat ? t : t.to(torch::kFloat));
        if (defined.empty())
            continue;
        squares.push_back(torch::stack(at::_foreach_norm(defined)).square().sum());
        filled.push_back(i);
    }
    std::vector<double> norms(groups.size(), 0.0);
    if (squares.empty())
        return norms;
    const torch::Tensor host = torch::stack(squares).to(torch::kCPU, torch::kDouble).sqrt().contiguous(); // (groups)
    for (std::size_t k = 0; k < filled.size(); ++k)
        norms[filled[k]] = host.data_ptr<double>()[k];
    return norms;
}

} // namespace

AdapterMetrics::AdapterMetrics(const LoraModel &lora)
{
    for (const AdaptedMatrix &matrix : lora.matrices()) {
        m_a.push_back(matrix.lora->A);
        m_b.push_back(matrix.lora->B);
    }
    m_count = static_cast<std::int64_t>(m_a.size());
    if (m_count > 0) {
        m_segmentsA = segmentIds(m_a, m_a.front().device());
        m_segmentsB = segmentIds(m_b, m_b.front().device());
    }
}

torch::Tensor AdapterMetrics::flat(const std::vector<torch::Tensor> &tensors) const
{
    std::vector<torch::Tensor> views;
    views.reserve(tensors.size());
    for (const torch::Tensor &t : tensors)
        views.push_back(t.detach().reshape({ -1 }));
    return torch::cat(views); // (P)
}

torch::Tensor AdapterMetrics::segmentNorms(const torch::Tensor &values, const torch::Tensor &segments) const
{
    torch::Tensor sums = torch::zeros({ m_count }, values.options()); // (M)
    return sums.index_add_(0, segments, values.square()).sqrt();    // (M)
}

void AdapterMetrics::snapshot()
{
    if (m_count == 0)
        return;
    m_previousA = flat(m_a);
    m_previousB = flat(m_b);
}

void AdapterMetrics::measure(std::vector<MatrixMetrics> &out) const
{
    if (m_count == 0)
        return;
    torch::NoGradGuard noGrad;
    const torch::Tensor a = flat(m_a), b = flat(m_b); // (P_A), (P_B)
    // One (4, M) block, copied to the host once.
    const torch::Tensor norms = torch::stack({ segmentNorms(a - m_previousA, m_segmentsA),
                                    segmentNorms(b - m_previousB, m_segmentsB), segmentNorms(a, m_segmentsA),
                                    segmentNorms(b, m_segmentsB) })
                                    .to(torch::kCPU, torch::kFloat)
                                    .contiguous();
    const float *values = norms.data_ptr<float>();
    for (std::int64_t i = 0; i < m_count; ++i) {
        MatrixMetrics &m = out[static_cast<std::size_t>(i)];
        m.deltaANorm = values[i];
        m.deltaBNorm = values[m_count + i];
        m.aNorm = values[2 * m_count + i];
        m.bNorm = values[3 * m_count + i];
    }
}

GradientNorms AdapterMetrics::gradientNorms(const std::vector<torch::Tensor> &all) const
{
    auto grads = [](const std::vector<torch::Tensor> &params) {
        std::vector<torch::Tensor> g;
        for (const torch::Tensor &p : params)
            g.push_back(p.grad());
        return g;
    };
    const std::vector<double> norms = groupNorms({ grads(all), grads(m_a), grads(m_b) });
    return { norms[0], norms[1], norms[2] };
}

} // namespace engine

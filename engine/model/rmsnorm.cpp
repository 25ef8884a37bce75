#include "engine/model/rmsnorm.h"

namespace engine {

RmsNormImpl::RmsNormImpl(std::int64_t size, double eps)
    : m_eps(eps)
{
    weight = register_parameter("weight", torch::ones({ size }), false);
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor &x)
{
    const torch::Tensor h = x.to(torch::kFloat32); // (..., size)
    const torch::Tensor normed = h * torch::rsqrt(h.pow(2).mean(-1, true) + m_eps); // (..., size)
    return weight * normed.to(x.scalar_type()); // (..., size)
}

} // namespace engine

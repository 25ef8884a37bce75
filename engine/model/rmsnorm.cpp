#include "engine/model/rmsnorm.h"

#include "engine/model/fusedops.h"

namespace engine {

RmsNormImpl::RmsNormImpl(std::int64_t size, double eps)
    : m_eps(eps)
{
    weight = register_parameter("weight", torch::ones({ size }), false);
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor &x)
{
    return rmsNorm(x, weight, m_eps); // (..., size)
}

} // namespace engine

#include "engine/model/rmsnorm.h"

#include "engine/model/fusedops.h"

namespace engine {

RmsNormImpl::RmsNormImpl(std::int64_t size, double eps, bool plusOne)
    : m_eps(eps)
    , m_plusOne(plusOne)
{
    weight = register_parameter("weight", torch::ones({ size }), false);
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor &x)
{
    return rmsNorm(x, m_plusOne ? weight + 1.0 : weight, m_eps); // (..., size)
}

} // namespace engine

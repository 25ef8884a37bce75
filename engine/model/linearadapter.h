// Internal (Torch): the extension point of engine::Linear. A LoRA layer (or any
// other adapter) implements apply() and is attached to a projection with
// LinearImpl::setAdapter(); the projection then returns apply(x, baseOut)
// instead of baseOut. The adapter owns its own parameters.
#pragma once

#include <torch/torch.h>

namespace engine {

class LinearAdapter
{
public:
    virtual ~LinearAdapter() = default;
    // x: the projection's input (..., in); baseOut: the frozen projection's
    // output (..., out). Returns the adapted output (..., out).
    virtual torch::Tensor apply(const torch::Tensor &x, const torch::Tensor &baseOut) = 0;
};

} // namespace engine

// Internal (Torch): the adapter branch of a LoRA layer as one autograd
// function on the CPU: y = base + s·(dropout(x)·Aᵀ)·Bᵀ. Dropout draws its mask
// from a counter-based hash of (seed, element index) instead of a stored
// tensor, so backward makes the same mask again and keeps only x and the
// (N, R) product: no mask and no dropped copy of x per adapter (Llama's q, k,
// v, gate and up projections share one input), and no serial random-number
// pass (LibTorch's CPU bernoulli_ runs on one thread). The base output is
// added in the product itself (addmm). Other devices and DoRA use the
// composed ops in LoraLayerImpl::apply.
// Shape letters: N = tokens (all leading dims), I = in, O = out, R = rank.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace engine {

// Whether loraBranch can run on these tensors (CPU, f32).
bool loraBranchSupports(const torch::Tensor &x);

// A fresh dropout seed from the default CPU generator, so seeding,
// checkpoints (which store the generator) and gradient checkpointing (which
// rewinds it) govern the mask as they govern every other random draw.
std::uint64_t drawDropoutSeed();

// x ⊙ keep / (1 − p), keep drawn per element from (seed, index): element i is
// dropped when the top 16 bits of a 32-bit hash of (i, seed) are below
// round(p·65536), i.e. with probability p to within 2^-17. The same seed and
// shape give the same mask on any thread count. firstElement is the index of
// x's first element in the whole batch (see DropoutPosition). x: contiguous or
// not, f32 CPU.
torch::Tensor hashedDropout(const torch::Tensor &x, double p, std::uint64_t seed, std::int64_t firstElement = 0);

// Where the calling thread's micro-batch starts in the step's whole batch, in
// tokens (first row × T), for the scope's lifetime. A data-parallel rank that
// works on rows r… of a batch sets it, so its dropout masks are exactly those
// one process would draw for those rows: the run does not depend on how many
// ranks share the batch.
class DropoutPosition
{
public:
    explicit DropoutPosition(std::int64_t firstToken);
    ~DropoutPosition();
    DropoutPosition(const DropoutPosition &) = delete;
    DropoutPosition &operator=(const DropoutPosition &) = delete;

private:
    std::int64_t m_previous;
};

// baseOut + scaling·(hashedDropout(x, p, seed)·Aᵀ)·Bᵀ, differentiable in x,
// baseOut, A and B. p = 0 skips dropout. x (N…, I), baseOut (N…, O), A (R, I),
// B (O, R); returns baseOut's shape.
torch::Tensor loraBranch(const torch::Tensor &x, const torch::Tensor &baseOut, const torch::Tensor &A,
    const torch::Tensor &B, double scaling, double p, std::uint64_t seed);

} // namespace engine

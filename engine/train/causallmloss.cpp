#include "engine/train/causallmloss.h"

namespace engine {

namespace {

constexpr std::int64_t kIgnore = -100;

} // namespace

torch::Tensor causalLmLossSum(const torch::Tensor &logits, const torch::Tensor &labels)
{
    const std::int64_t vocab = logits.size(2);
    const torch::Tensor predicted = logits.slice(1, 0, -1).reshape({ -1, vocab }); // (B·(T−1), V)
    const torch::Tensor targets = labels.slice(1, 1).reshape({ -1 });            // (B·(T−1))
    return torch::nn::functional::cross_entropy(predicted, targets,
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnore).reduction(torch::kSum));
}

torch::Tensor causalLmTokenLosses(const torch::Tensor &logits, const torch::Tensor &labels)
{
    const std::int64_t batch = logits.size(0), vocab = logits.size(2);
    const torch::Tensor predicted = logits.slice(1, 0, -1).reshape({ -1, vocab }); // (B·(T−1), V)
    const torch::Tensor targets = labels.slice(1, 1).reshape({ -1 });            // (B·(T−1))
    const torch::Tensor losses = torch::nn::functional::cross_entropy(predicted, targets,
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnore).reduction(torch::kNone));
    return losses.reshape({ batch, -1 }); // (B, T − 1)
}

} // namespace engine

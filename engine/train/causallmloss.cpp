#include "engine/train/causallmloss.h"

#include <algorithm>

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

double causalLmLossBackward(const CausalLm &model, const torch::Tensor &ids, const torch::Tensor &labels,
                            double scale, std::int64_t chunkElements)
{
    const torch::Tensor hidden = model.hiddenStates(ids); // (B, T, H)
    const std::int64_t batch = hidden.size(0), tokens = hidden.size(1), width = hidden.size(2);
    if (tokens < 2)
        return 0.0;
    // A leaf the chunks' gradients gather in: predicting positions (B·(T−1), H).
    const torch::Tensor predicting = hidden.detach().slice(1, 0, -1).reshape({ -1, width }).requires_grad_(true);
    const torch::Tensor targets = labels.slice(1, 1).reshape({ -1 }); // (B·(T−1))
    const std::int64_t rows = predicting.size(0);
    const std::int64_t chunk = std::max<std::int64_t>(1, chunkElements / model.config().vocabSize);
    double total = 0.0;
    for (std::int64_t start = 0; start < rows; start += chunk) {
        const std::int64_t end = std::min(rows, start + chunk);
        const torch::Tensor chunkTargets = targets.slice(0, start, end);
        const torch::Tensor loss = torch::nn::functional::cross_entropy(model.logits(predicting.slice(0, start, end)),
            chunkTargets, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnore).reduction(torch::kSum))
            * scale;
        loss.backward(); // into predicting.grad() (and any adapter on lm_head)
        total += loss.item<double>();
    }
    if (hidden.requires_grad() && predicting.grad().defined()) {
        torch::Tensor gradient = torch::zeros_like(hidden); // the last position predicts nothing
        gradient.slice(1, 0, -1).copy_(predicting.grad().view({ batch, tokens - 1, width }));
        hidden.backward(gradient);
    }
    return total;
}

} // namespace engine

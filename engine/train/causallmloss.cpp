#include "engine/train/causallmloss.h"

#include <algorithm>

namespace engine {

namespace {

constexpr std::int64_t kIgnore = -100;

// Sum over rows of −log softmax(logits)[target], times scale, and its gradient
// scale·(softmax − onehot(target)) in `gradient` (logits' dtype): one softmax
// pass instead of log_softmax, nll_loss and their two backward kernels. A
// target whose probability underflows f32 gets its loss from logsumexp.
// logits (k, V) without grad, targets (k) all counted.
double crossEntropyGradient(const torch::Tensor &logits, const torch::Tensor &targets, double scale,
                            torch::Tensor &gradient)
{
    torch::NoGradGuard noGrad;
    const torch::Tensor values = logits.to(torch::kFloat);             // (k, V)
    torch::Tensor probs = torch::softmax(values, 1);                     // (k, V)
    const torch::Tensor columns = targets.unsqueeze(1);                  // (k, 1)
    const torch::Tensor picked = probs.gather(1, columns).squeeze(1);    // (k)
    torch::Tensor rowLoss = -picked.log();                               // (k)
    const torch::Tensor underflow = (picked < 1e-30).nonzero().squeeze(1);
    if (underflow.numel() > 0) {
        const torch::Tensor rowsOf = values.index_select(0, underflow); // (u, V)
        rowLoss.index_put_({ underflow }, torch::logsumexp(rowsOf, 1)
            - rowsOf.gather(1, targets.index_select(0, underflow).unsqueeze(1)).squeeze(1));
    }
    probs.scatter_add_(1, columns, torch::full_like(picked, -1.0).unsqueeze(1)).mul_(scale);
    gradient = probs.to(logits.scalar_type());
    return rowLoss.sum().item<double>() * scale;
}

// The same on CUDA without stopping the host: every row's logsumexp is
// computed (a cheap extra pass there) instead of picking the underflowing rows
// with nonzero(), and the loss stays on the device (f64, 0-dim) until the
// caller has queued every chunk. The CPU keeps the function above.
torch::Tensor crossEntropyGradientOnDevice(const torch::Tensor &logits, const torch::Tensor &targets, double scale,
                                           torch::Tensor &gradient)
{
    torch::NoGradGuard noGrad;
    const torch::Tensor values = logits.to(torch::kFloat);             // (k, V)
    torch::Tensor probs = torch::softmax(values, 1);                     // (k, V)
    const torch::Tensor columns = targets.unsqueeze(1);                  // (k, 1)
    const torch::Tensor picked = probs.gather(1, columns).squeeze(1);    // (k)
    const torch::Tensor exact = torch::logsumexp(values, 1) - values.gather(1, columns).squeeze(1); // (k)
    const torch::Tensor rowLoss = torch::where(picked < 1e-30, exact, -picked.log());             // (k)
    probs.scatter_add_(1, columns, torch::full_like(picked, -1.0).unsqueeze(1)).mul_(scale);
    gradient = probs.to(logits.scalar_type());
    return rowLoss.sum().to(torch::kDouble) * scale; // () on the device
}

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
    const std::int64_t tokens = hidden.size(1), width = hidden.size(2);
    if (tokens < 2)
        return 0.0;
    // A leaf the chunks' gradients gather in: predicting positions (B·(T−1), H).
    const torch::Tensor predicting = hidden.detach().slice(1, 0, -1).reshape({ -1, width }).requires_grad_(true);
    const torch::Tensor targets = labels.slice(1, 1).reshape({ -1 }); // (B·(T−1))
    // Only positions whose label counts need logits (prompt tokens of chat data do not).
    const torch::Tensor counted = (targets != kIgnore).nonzero().squeeze(1); // (K)
    const std::int64_t rows = counted.size(0);
    const std::int64_t chunk = lossChunkRows(model, hidden, chunkElements);
    double total = 0.0;
    torch::Tensor deviceTotal; // () on CUDA: read once after the last chunk
    for (std::int64_t start = 0; start < rows; start += chunk) {
        const torch::Tensor picked = counted.slice(0, start, std::min(rows, start + chunk)); // (k)
        const torch::Tensor logits = model.logits(predicting.index_select(0, picked));        // (k, V)
        torch::Tensor gradient;
        if (logits.is_cuda()) {
            const torch::Tensor loss = crossEntropyGradientOnDevice(logits.detach(), targets.index_select(0, picked),
                                                                    scale, gradient);
            deviceTotal = deviceTotal.defined() ? deviceTotal + loss : loss;
        } else {
            total += crossEntropyGradient(logits.detach(), targets.index_select(0, picked), scale, gradient);
        }
        logits.backward(gradient); // into predicting.grad() (and any adapter on lm_head)
    }
    if (deviceTotal.defined())
        total = deviceTotal.item<double>();
    backwardFromPredicting(hidden, predicting);
    return total;
}

std::int64_t lossChunkRows(const CausalLm &model, const torch::Tensor &hidden, std::int64_t chunkElements)
{
    const std::int64_t elements
        = chunkElements > 0 ? chunkElements : hidden.is_cuda() ? kCudaLossChunkElements : kLossChunkElements;
    return std::max<std::int64_t>(1, elements / model.config().vocabSize);
}

void backwardFromPredicting(const torch::Tensor &hidden, const torch::Tensor &predicting)
{
    if (!hidden.requires_grad() || !predicting.grad().defined())
        return;
    const std::int64_t batch = hidden.size(0), tokens = hidden.size(1), width = hidden.size(2);
    torch::Tensor gradient = torch::zeros_like(hidden); // the last position predicts nothing
    gradient.slice(1, 0, -1).copy_(predicting.grad().view({ batch, tokens - 1, width }));
    hidden.backward(gradient);
}

} // namespace engine

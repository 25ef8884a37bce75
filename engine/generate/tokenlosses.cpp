// computeTokenLosses: one forward pass per window, log-softmax of the logits
// that predict the next token, gathered at the actual next ids.
#include "engine/generate/tokenlosses.h"

#include "engine/core/status.h"

namespace engine {

namespace {

void checkArguments(const ModelConfig &config, std::size_t tokens, std::int64_t window)
{
    if (tokens < 2)
        throw Error("evaluation: the text has " + std::to_string(tokens)
            + " token(s) but at least 2 are needed to predict one (hint: give a longer text)");
    if (window < 2 || window > config.maxPositions)
        throw Error("evaluation: the window of " + std::to_string(window) + " tokens is outside [2, "
            + std::to_string(config.maxPositions) + "] (hint: the model's context is "
            + std::to_string(config.maxPositions) + " tokens)");
}

// Losses of ids[begin + 1 .. end - 1] given ids[begin .. end - 2].
std::vector<double> windowLosses(
    const CausalLm &model, const std::vector<std::int64_t> &ids, std::size_t begin, std::size_t end)
{
    const torch::Device device = model.module().parameters().front().device();
    const std::vector<std::int64_t> slice(ids.begin() + static_cast<std::ptrdiff_t>(begin),
        ids.begin() + static_cast<std::ptrdiff_t>(end));
    const torch::Tensor input = torch::tensor(slice, torch::kInt64).unsqueeze(0).to(device); // (1, T)
    const torch::Tensor logits = model.forward(input)[0]; // (T, V)
    const torch::Tensor logProbs = torch::log_softmax(logits.slice(0, 0, -1), -1); // (T-1, V)
    const torch::Tensor targets = input[0].slice(0, 1).unsqueeze(1); // (T-1, 1)
    const torch::Tensor losses = -logProbs.gather(1, targets).squeeze(1).to(torch::kCPU, torch::kFloat64).contiguous(); // (T-1)
    return std::vector<double>(losses.data_ptr<double>(), losses.data_ptr<double>() + losses.numel());
}

} // namespace

TokenLossRun computeTokenLosses(
    const CausalLm &model, const std::vector<TokenId> &ids, std::int64_t window, const std::atomic<bool> *cancel)
{
    checkArguments(model.config(), ids.size(), window);
    torch::NoGradGuard noGrad;
    const std::vector<std::int64_t> wide(ids.begin(), ids.end());
    TokenLossRun run;
    const auto step = static_cast<std::size_t>(window - 1);
    for (std::size_t begin = 0; begin + 1 < ids.size(); begin += step) {
        if (cancel && cancel->load()) {
            run.cancelled = true;
            break;
        }
        const std::size_t end = std::min(begin + static_cast<std::size_t>(window), ids.size());
        const std::vector<double> losses = windowLosses(model, wide, begin, end);
        run.losses.insert(run.losses.end(), losses.begin(), losses.end());
        ++run.windows;
    }
    return run;
}

} // namespace engine

// Sampler: logits processors as small functions, then argmax or a seeded draw.
#include "engine/generate/sampler.h"

#include "engine/core/status.h"

#include <limits>

namespace engine {

torch::Tensor applyRepetitionPenalty(const torch::Tensor &logits, const std::vector<TokenId> &history, double penalty)
{
    if (penalty == 1.0 || history.empty())
        return logits;
    std::vector<std::int64_t> ids(history.begin(), history.end());
    const torch::Tensor index = torch::tensor(ids, torch::kInt64); // (H)
    const torch::Tensor seen = logits.gather(0, index); // (H)
    const torch::Tensor penalised = torch::where(seen < 0, seen * penalty, seen / penalty); // (H)
    return logits.scatter(0, index, penalised); // (V)
}

torch::Tensor filterTopK(const torch::Tensor &logits, int k)
{
    if (k <= 0 || k >= logits.size(0))
        return logits;
    const torch::Tensor kth = std::get<0>(logits.topk(k)).index({ k - 1 }); // ()
    return logits.masked_fill(logits < kth, -std::numeric_limits<float>::infinity()); // (V)
}

torch::Tensor filterTopP(const torch::Tensor &logits, double p)
{
    if (p >= 1.0)
        return logits;
    const auto [sorted, order] = logits.sort(/*dim=*/0, /*descending=*/true); // (V), (V)
    const torch::Tensor probs = torch::softmax(sorted.to(torch::kFloat64), 0); // (V)
    const torch::Tensor before = probs.cumsum(0) - probs; // (V) mass of the more likely tokens
    torch::Tensor dropSorted = before >= p; // (V)
    dropSorted.index_put_({ 0 }, false);
    torch::Tensor drop = torch::empty_like(dropSorted); // (V)
    drop.index_put_({ order }, dropSorted);
    return logits.masked_fill(drop, -std::numeric_limits<float>::infinity()); // (V)
}

Sampler::Sampler(const GenerationOptions &options)
    : m_options(options)
    , m_generator(at::detail::createCPUGenerator(options.seed))
{
    if (Status status = options.validate(); !status)
        throw Error(status.message());
}

TokenId Sampler::next(const torch::Tensor &logits, const std::vector<TokenId> &history)
{
    torch::Tensor scores = logits.detach().to(torch::kCPU, torch::kFloat32).reshape({ -1 }); // (V)
    scores = applyRepetitionPenalty(scores, history, m_options.repetitionPenalty); // (V)
    if (m_options.greedy())
        return static_cast<TokenId>(scores.argmax().item<std::int64_t>());
    // Shifting by the maximum first keeps tiny temperatures finite: the best
    // token gets 0, the others -> -inf, so T -> 0 tends to greedy.
    scores = (scores - scores.max()) / m_options.temperature; // (V)
    scores = filterTopK(scores, m_options.topK); // (V)
    scores = filterTopP(scores, m_options.topP); // (V)
    const torch::Tensor probs = torch::softmax(scores, 0); // (V)
    return static_cast<TokenId>(torch::multinomial(probs, 1, false, m_generator).item<std::int64_t>());
}

} // namespace engine

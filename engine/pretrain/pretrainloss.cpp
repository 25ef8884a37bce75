// The shifted cross-entropy of training and the whole-stream validation loss.
#include "engine/pretrain/pretrainloss.h"

#include "engine/pretrain/pretraincorpus.h"

namespace engine {

std::pair<torch::Tensor, torch::Tensor> batchTensors(const data::Batch &batch)
{
    const auto options = torch::TensorOptions().dtype(torch::kInt32);
    const std::vector<std::int64_t> shape = { batch.rows, batch.columns };
    torch::Tensor ids = torch::from_blob(const_cast<TokenId *>(batch.inputIds.data()), shape, options); // (B, T)
    torch::Tensor labels = torch::from_blob(const_cast<TokenId *>(batch.labels.data()), shape, options); // (B, T)
    return { ids.to(torch::kInt64), labels.to(torch::kInt64) };
}

torch::Tensor shiftedCrossEntropy(const torch::Tensor &logits, const torch::Tensor &labels)
{
    const std::int64_t V = logits.size(2);
    const torch::Tensor predicted = logits.narrow(1, 0, logits.size(1) - 1).reshape({ -1, V }); // (B*(T-1), V)
    const torch::Tensor targets = labels.narrow(1, 1, labels.size(1) - 1).reshape({ -1 }); // (B*(T-1))
    return torch::nn::functional::cross_entropy(
        predicted, targets, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(data::kIgnoreIndex));
}

double validationLoss(CausalLmNetImpl &net, const std::vector<TokenId> &stream, std::int64_t context, int batchSize)
{
    torch::NoGradGuard noGrad;
    const std::int64_t windows = PretrainCorpus::windowCount(stream.size(), context);
    double sum = 0.0;
    std::int64_t count = 0;
    for (std::int64_t first = 0; first < windows; first += batchSize) {
        std::vector<std::int64_t> rows;
        for (std::int64_t w = first; w < std::min<std::int64_t>(windows, first + batchSize); ++w)
            rows.push_back(w);
        const data::Batch batch = PretrainCorpus::batchOf(stream, rows, context, 0);
        const auto [ids, labels] = batchTensors(batch); // (B, T)
        const torch::Tensor logits = net.forward(ids, nullptr, 0); // (B, T, V)
        const std::int64_t V = logits.size(2);
        const torch::Tensor targets = labels.narrow(1, 1, context - 1).reshape({ -1 }); // (B*(T-1))
        sum += torch::nn::functional::cross_entropy(logits.narrow(1, 0, context - 1).reshape({ -1, V }), targets,
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(data::kIgnoreIndex).reduction(torch::kSum))
                   .item<double>();
        count += batch.trainedTokens;
    }
    return count > 0 ? sum / static_cast<double>(count) : 0.0;
}

} // namespace engine

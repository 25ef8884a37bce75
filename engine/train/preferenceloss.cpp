#include "engine/train/preferenceloss.h"

#include "engine/core/status.h"
#include "engine/train/causallmloss.h"

#include <algorithm>
#include <cmath>

namespace engine {

namespace {

constexpr std::int64_t kMaskedLabel = -100;

torch::TensorOptions doublesOn(const torch::Tensor &like)
{
    return torch::TensorOptions().dtype(torch::kDouble).device(like.device());
}

// The positions whose label counts: their index among the R·(T−1) predicting positions, target and row.
struct Counted
{
    torch::Tensor index;   // (K)
    torch::Tensor targets; // (K)
    torch::Tensor rows;    // (K)
};

Counted countedPositions(const torch::Tensor &labels)
{
    const std::int64_t predicting = labels.size(1) - 1;
    const torch::Tensor targets = labels.slice(1, 1).reshape({ -1 }); // (R·(T−1))
    Counted counted;
    counted.index = (targets != kMaskedLabel).nonzero().squeeze(1);       // (K)
    counted.targets = targets.index_select(0, counted.index);        // (K)
    counted.rows = torch::div(counted.index, predicting, "trunc");   // (K)
    return counted;
}

// The first T − 1 positions of hidden (R, T, H), flattened: (R·(T−1), H).
torch::Tensor predictingRows(const torch::Tensor &hidden)
{
    return hidden.slice(1, 0, -1).reshape({ -1, hidden.size(2) });
}

// log p(target) at k positions from their logits (k, V): (k) f32.
torch::Tensor targetLogProbs(const torch::Tensor &logits, const torch::Tensor &targets)
{
    const torch::Tensor values = logits.to(torch::kFloat);                                    // (k, V)
    return values.gather(1, targets.unsqueeze(1)).squeeze(1) - torch::logsumexp(values, 1); // (k)
}

// The rows' summed target log-probabilities, a chunk of positions at a time, without gradients: (R) f64.
torch::Tensor rowSums(const CausalLm &model, const torch::Tensor &predicting, const Counted &counted, std::int64_t rows,
                      std::int64_t chunk)
{
    torch::NoGradGuard noGrad;
    torch::Tensor sums = torch::zeros({ rows }, doublesOn(predicting)); // (R)
    const std::int64_t count = counted.index.size(0);
    for (std::int64_t start = 0; start < count; start += chunk) {
        const std::int64_t end = std::min(count, start + chunk);
        const torch::Tensor logits = model.logits(predicting.index_select(0, counted.index.slice(0, start, end))); // (k, V)
        const torch::Tensor picked = targetLogProbs(logits, counted.targets.slice(0, start, end));             // (k)
        sums.index_add_(0, counted.rows.slice(0, start, end), picked.to(torch::kDouble));
    }
    return sums;
}

torch::Tensor rowCounts(const Counted &counted, std::int64_t rows)
{
    const torch::Tensor ones = torch::ones({ counted.rows.size(0) }, doublesOn(counted.rows)); // (K)
    return torch::zeros({ rows }, doublesOn(counted.rows)).index_add_(0, counted.rows, ones);  // (R)
}

// Restores the adapters after a reference pass, also when it throws.
class AdapterRestore
{
public:
    AdapterRestore(LoraModel &lora, std::vector<torch::Tensor> values, bool training)
        : m_lora(lora)
        , m_values(std::move(values))
        , m_training(training)
    { }
    ~AdapterRestore()
    {
        torch::NoGradGuard noGrad;
        const std::vector<torch::Tensor> parameters = m_lora.parameters();
        for (std::size_t i = 0; i < m_values.size(); ++i)
            parameters[i].copy_(m_values[i]);
        m_lora.setEnabled(true);
        m_lora.setTraining(m_training);
    }
    AdapterRestore(const AdapterRestore &) = delete;
    AdapterRestore &operator=(const AdapterRestore &) = delete;

private:
    LoraModel &m_lora;
    std::vector<torch::Tensor> m_values;
    bool m_training;
};

// Pairs won by the chosen answer; a tie (as at the start of DPO) counts as half, a coin flip.
torch::Tensor wins(const torch::Tensor &chosen, const torch::Tensor &rejected)
{
    return (chosen > rejected).to(torch::kDouble).sum() + 0.5 * (chosen == rejected).to(torch::kDouble).sum();
}

} // namespace

PreferenceSettings PreferenceSettings::of(const TrainingConfig &training)
{
    PreferenceSettings settings;
    settings.orpo = training.objective == "orpo";
    settings.beta = training.beta;
    settings.labelSmoothing = training.labelSmoothing;
    settings.orpoLambda = training.orpoLambda;
    return settings;
}

void PreferenceTotals::add(const PreferenceTotals &other)
{
    pairs += other.pairs;
    loss += other.loss;
    rewardChosen += other.rewardChosen;
    rewardRejected += other.rewardRejected;
    correct += other.correct;
    logpChosen += other.logpChosen;
    logpRejected += other.logpRejected;
}

double PreferenceTotals::meanLoss() const
{
    return pairs > 0 ? loss / pairs : kNotMeasured;
}

PreferenceMetrics PreferenceTotals::mean() const
{
    PreferenceMetrics metrics;
    if (pairs <= 0)
        return metrics;
    metrics.rewardChosen = rewardChosen / pairs;
    metrics.rewardRejected = rewardRejected / pairs;
    metrics.rewardMargin = metrics.rewardChosen - metrics.rewardRejected;
    metrics.accuracy = correct / pairs;
    metrics.logpChosen = logpChosen / pairs;
    metrics.logpRejected = logpRejected / pairs;
    return metrics;
}

SequenceLogProbs sequenceLogProbs(const CausalLm &model, const torch::Tensor &ids, const torch::Tensor &labels)
{
    torch::NoGradGuard noGrad;
    const std::int64_t rows = ids.size(0);
    SequenceLogProbs out;
    if (ids.size(1) < 2) {
        out.sums = out.counts = torch::zeros({ rows }, doublesOn(ids));
        return out;
    }
    const torch::Tensor hidden = model.hiddenStates(ids); // (R, T, H)
    const Counted counted = countedPositions(labels);
    out.sums = rowSums(model, predictingRows(hidden), counted, rows, lossChunkRows(model, hidden));
    out.counts = rowCounts(counted, rows);
    return out;
}

torch::Tensor preferenceLosses(const PreferenceSettings &settings, const torch::Tensor &policySums,
    const torch::Tensor &counts, const torch::Tensor &referenceSums, PreferenceTotals &totals)
{
    const torch::Tensor policy = policySums.view({ -1, 2 }); // (P, 2): chosen, rejected
    torch::Tensor losses;                                     // (P)
    torch::Tensor rewards;                                    // (P, 2)
    if (!settings.orpo) {
        const torch::Tensor ratios = policy - referenceSums.view({ -1, 2 });                   // (P, 2)
        const torch::Tensor z = settings.beta * (ratios.select(1, 0) - ratios.select(1, 1)); // (P)
        losses = -(1.0 - settings.labelSmoothing) * torch::log_sigmoid(z)
            - settings.labelSmoothing * torch::log_sigmoid(-z);
        rewards = settings.beta * ratios.detach();
    } else {
        const torch::Tensor mean = policy / counts.view({ -1, 2 }).clamp_min(1.0); // (P, 2) mean token log-probability
        // log odds = p − log(1 − e^p); 1 − e^p = −expm1(p), kept above 0 for an answer of certain tokens.
        const torch::Tensor logOdds = mean - torch::log(-torch::expm1(mean).clamp_max(-1e-12)); // (P, 2)
        losses = -mean.select(1, 0)
            - settings.orpoLambda * torch::log_sigmoid(logOdds.select(1, 0) - logOdds.select(1, 1));
        rewards = settings.orpoLambda * mean.detach();
    }
    torch::NoGradGuard noGrad;
    const torch::Tensor logps = policy.detach();
    const torch::Tensor figures = torch::stack({ losses.detach().sum(), rewards.select(1, 0).sum(),
        rewards.select(1, 1).sum(), wins(rewards.select(1, 0), rewards.select(1, 1)),
        logps.select(1, 0).sum(), logps.select(1, 1).sum() }).to(torch::kCPU); // one read from the device
    const double *f = figures.data_ptr<double>();
    totals.pairs += static_cast<double>(policy.size(0));
    totals.loss += f[0];
    totals.rewardChosen += f[1];
    totals.rewardRejected += f[2];
    totals.correct += f[3];
    totals.logpChosen += f[4];
    totals.logpRejected += f[5];
    return losses;
}

PreferenceReference::PreferenceReference(LoraModel &lora, bool startsAtBase)
    : m_lora(lora)
{
    if (startsAtBase)
        return;
    torch::NoGradGuard noGrad;
    for (const torch::Tensor &parameter : lora.parameters())
        m_start.push_back(parameter.detach().clone());
}

SequenceLogProbs PreferenceReference::logProbs(
    const CausalLm &model, const torch::Tensor &ids, const torch::Tensor &labels) const
{
    std::vector<torch::Tensor> current;
    if (m_start.empty()) {
        m_lora.setEnabled(false);
    } else {
        torch::NoGradGuard noGrad;
        const std::vector<torch::Tensor> parameters = m_lora.parameters();
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            current.push_back(parameters[i].detach().clone());
            parameters[i].copy_(m_start[i]);
        }
    }
    const AdapterRestore restore(m_lora, std::move(current), m_lora.isTraining());
    m_lora.setTraining(false);
    return sequenceLogProbs(model, ids, labels);
}

double preferenceLossBackward(const CausalLm &model, const PreferenceReference *reference,
    const PreferenceSettings &settings, const torch::Tensor &ids, const torch::Tensor &labels, double scale,
    PreferenceTotals &totals)
{
    const std::int64_t rows = ids.size(0);
    if (ids.size(1) < 2 || rows % 2 != 0)
        throw Error("internal error: a preference batch needs pairs of rows with at least 2 tokens");
    torch::Tensor referenceSums;
    if (!settings.orpo) {
        if (!reference)
            throw Error("internal error: DPO needs its reference model");
        referenceSums = reference->logProbs(model, ids, labels).sums; // (R)
    }
    const torch::Tensor hidden = model.hiddenStates(ids); // (R, T, H)
    // A leaf the chunks' gradients gather in: predicting positions (R·(T−1), H).
    const torch::Tensor predicting = predictingRows(hidden.detach()).requires_grad_(true);
    const Counted counted = countedPositions(labels);
    const std::int64_t chunk = lossChunkRows(model, hidden);

    // Pass 1: the answers' log-probabilities, and what each answer's sum contributes to the loss.
    const torch::Tensor policySums = rowSums(model, predicting, counted, rows, chunk).requires_grad_(true); // (R)
    const torch::Tensor losses = preferenceLosses(settings, policySums, rowCounts(counted, rows), referenceSums, totals);
    const torch::Tensor lossSum = losses.sum() * scale;
    lossSum.backward();
    const torch::Tensor weights = policySums.grad().to(torch::kFloat); // (R) scale·∂loss/∂(row sum)

    // Pass 2: ∂(row sum)/∂logits = onehot(target) − softmax, weighted per row.
    const std::int64_t count = counted.index.size(0);
    for (std::int64_t start = 0; start < count; start += chunk) {
        const std::int64_t end = std::min(count, start + chunk);
        const torch::Tensor logits = model.logits(predicting.index_select(0, counted.index.slice(0, start, end))); // (k, V)
        torch::Tensor gradient;
        {
            torch::NoGradGuard noGrad;
            const torch::Tensor targets = counted.targets.slice(0, start, end).unsqueeze(1); // (k, 1)
            torch::Tensor probs = torch::softmax(logits.detach().to(torch::kFloat), 1);       // (k, V)
            probs.scatter_add_(1, targets, torch::full({ end - start, 1 }, -1.0, probs.options()));
            const torch::Tensor rowWeights = weights.index_select(0, counted.rows.slice(0, start, end)); // (k)
            gradient = probs.mul_(-rowWeights.unsqueeze(1)).to(logits.scalar_type());
        }
        logits.backward(gradient); // into predicting.grad() (and any adapter on lm_head)
    }
    backwardFromPredicting(hidden, predicting);
    return lossSum.item<double>();
}

bool adapterStartsAtBase(const LoraConfig &config)
{
    return config.init != LoraInit::Pissa;
}

} // namespace engine

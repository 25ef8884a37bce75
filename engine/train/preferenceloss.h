// Internal (Torch): the preference objectives on pairs of answers to one
// prompt, a chosen and a rejected one (rows 2p and 2p + 1 of a batch):
//  DPO (Rafailov et al. 2023), sigmoid loss with optional label smoothing ε:
//    z = β·((log π(c) − log π_ref(c)) − (log π(r) − log π_ref(r)))
//    loss = −(1 − ε)·log σ(z) − ε·log σ(−z)
//  ORPO (Hong et al. 2024), with p = the answer's mean token log-probability:
//    loss = −p(c) − λ·log σ(log odds(c) − log odds(r)),  odds(x) = e^p / (1 − e^p)
// log π is an answer's summed token log-probability; π_ref is the model as
// the run started, which with LoRA costs no second model: the adapters
// switched off (a fresh adapter adds nothing), or their starting values
// swapped in (PiSSA, or a run that starts from an SFT adapter).
// Logits are made in chunks as in causallmloss.h: one pass without gradients
// for the log-probabilities, then one with the gradient the pair losses give
// each token, so no (R, T, V) tensor is held.
// Shape letters: P = pairs, R = rows (2P), T = tokens, V = vocabulary, K = counted positions.
#pragma once

#include "engine/lora/loramodel.h"
#include "engine/model/causallm.h"
#include "engine/train/stepmetrics.h"
#include "engine/train/trainingconfig.h"

#include <torch/torch.h>

#include <vector>

namespace engine {

struct PreferenceSettings
{
    bool orpo = false;          // false: DPO
    double beta = 0.1;          // DPO β
    double labelSmoothing = 0.0; // DPO ε
    double orpoLambda = 0.1;    // ORPO λ

    static PreferenceSettings of(const TrainingConfig &training);
};

// Sums over pairs; mean() gives the reported figures.
struct PreferenceTotals
{
    double pairs = 0.0;
    double loss = 0.0;
    double rewardChosen = 0.0;
    double rewardRejected = 0.0;
    double correct = 0.0; // pairs whose chosen reward is the higher (a tie counts half)
    double logpChosen = 0.0;
    double logpRejected = 0.0;

    void add(const PreferenceTotals &other);
    double meanLoss() const;
    PreferenceMetrics mean() const;
};

// Per row of `ids` (R, T): the sum of log p(label) over counted positions and
// how many there are, both (R) f64; no gradient. labels −100 = not counted.
struct SequenceLogProbs
{
    torch::Tensor sums;
    torch::Tensor counts;
};
SequenceLogProbs sequenceLogProbs(const CausalLm &model, const torch::Tensor &ids, const torch::Tensor &labels);

// The per-pair losses (P) from the rows' log-probabilities, differentiable in
// policySums (R); referenceSums (R) is undefined for ORPO. Adds the pairs' figures to `totals`.
torch::Tensor preferenceLosses(const PreferenceSettings &settings, const torch::Tensor &policySums,
    const torch::Tensor &counts, const torch::Tensor &referenceSums, PreferenceTotals &totals);

// The reference model of DPO: the adapters as the run started. Construct it
// after the adapters have their starting values (and before a checkpoint is
// restored); `startsAtBase` says they add nothing yet (B or A zero), so
// switching them off gives the same network for less work.
class PreferenceReference
{
public:
    PreferenceReference(LoraModel &lora, bool startsAtBase);
    // The reference's sequence log-probabilities (dropout off); the adapters are as before afterwards.
    SequenceLogProbs logProbs(const CausalLm &model, const torch::Tensor &ids, const torch::Tensor &labels) const;

private:
    LoraModel &m_lora;
    std::vector<torch::Tensor> m_start; // the starting values; empty when switching off is enough
};

// One micro-batch of pairs: forward, pair losses, and their gradient × scale
// accumulated into the trainable parameters. reference may be nullptr for
// ORPO. Returns the loss sum × scale; the pairs' figures go to `totals`.
double preferenceLossBackward(const CausalLm &model, const PreferenceReference *reference,
    const PreferenceSettings &settings, const torch::Tensor &ids, const torch::Tensor &labels, double scale,
    PreferenceTotals &totals);

// Whether LoRA adapters initialised with these settings leave the model unchanged.
bool adapterStartsAtBase(const LoraConfig &config);

} // namespace engine

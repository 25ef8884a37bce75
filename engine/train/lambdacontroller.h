// The automatic LoRA+ ratio (optimizer.loraplus_ratio "auto").
//
// Under AdamW, λ acts on B's step size: B grows at η_B, and the feature
// updates δ1 = B(ΔA)x and δ2 = (ΔB)Ax both scale with η_B, so their ratio
// hardly moves with λ (measured on the demo: the median log(δ2/δ1) was +0.5
// at λ = 1 and +0.3 at λ = 16) and cannot tell a good λ from a bad one. What
// does tell is whether B's steps are too small or too large for the loss
// surface: after each step the new gradient of every B is compared with the
// direction of its last AdamW update (LoraPlusOptimizer::gradientAgreement,
// the signal of hypergradient descent, Baydin et al., ICLR 2018). While the
// gradient keeps agreeing, larger steps would have gone further and λ goes up;
// once it turns against the updates, B overshoots and λ comes down.
//
// Per step the controller collects each matrix's agreement; every `interval`
// steps it takes, per key, the median over its matrices of their mean
// agreement, smooths it, and when it leaves a band around the target moves
// log λ by a bounded step in its direction, within [minimum, maximum]. The
// first intervals only measure. NaN values (no update yet, zero gradient,
// skipped steps) are ignored; an interval with nothing usable holds λ.
// Torch-free; the state (λ, averages, the open interval's sums) is part of
// checkpoints, so a resumed run continues exactly.
#pragma once

#include "engine/core/status.h"

#include <string>
#include <utility>
#include <vector>

namespace engine {

struct LambdaControllerSettings
{
    double start = 16.0;     // λ until the controller has measured enough (LoRA+'s recommendation)
    double minimum = 1.0;    // plain LoRA
    double maximum = 256.0;
    double target = 0.0;     // the agreement λ steers to
    double band = 0.01;      // on target while |smoothed agreement − target| ≤ band
    double gain = 4.0;       // log λ per unit of agreement outside the band
    double maxStep = 0.405;  // at most ×1.5 or ÷1.5 per interval (log 1.5)
    double smoothing = 0.5;  // weight of the newest interval in the moving average
    int warmupIntervals = 1; // intervals that only measure
};

// The median of the finite values (the mean of the middle two for an even
// count); NaN when there are none.
double finiteMedian(const std::vector<float> &values);

class LambdaController
{
public:
    // matrixKeys[i]: the λ that adapted matrix i follows (one key for a global
    // λ, the module type for one λ per type), in the run's matrix order.
    explicit LambdaController(const std::vector<std::string> &matrixKeys, LambdaControllerSettings settings = {});

    // One step's agreement per matrix (run order; NaN = not measured).
    void accumulate(const std::vector<float> &agreement);
    // Ends an interval: moves λ per key from what was accumulated.
    void update();

    // λ per key, keys in the order they first appear among the matrices.
    std::vector<std::pair<std::string, double>> ratios() const;
    double ratio(const std::string &key) const;
    // The geometric mean over the keys: the λ of trainable parameters outside
    // every key (biases, DoRA magnitudes, other 1-D parameters).
    double meanRatio() const;
    // The smoothed agreement of a key (NaN before its first usable interval).
    double smoothedAgreement(const std::string &key) const;
    // Takes these λ values as its own (a data-parallel rank adopting rank 0's).
    void adopt(const std::vector<std::pair<std::string, double>> &ratios);

    // The state as JSON text, and back (resume is exact: same λ, same averages, same open interval).
    std::string toJson() const;
    Status restore(const std::string &json);

private:
    struct Track
    {
        std::string key;
        std::vector<std::size_t> matrices; // indices into the run's matrices
        double logRatio = 0.0;             // log λ
        double smoothed = 0.0;             // moving average of the interval medians (valid when intervals > 0)
        int intervals = 0;                 // usable intervals so far
    };
    void update(Track &track, double agreement) const;

    LambdaControllerSettings m_settings;
    std::vector<Track> m_tracks;
    std::vector<double> m_sums;   // per matrix: the open interval's sum of agreements
    std::vector<int> m_counts;    // and how many were measured
};

} // namespace engine

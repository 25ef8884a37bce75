// The automatic LoRA+ ratio (optimizer.loraplus_ratio "auto"). LoRA+'s
// efficiency criterion is that the two feature updates a step makes, δ1 =
// B(ΔA)x (A's learning) and δ2 = (ΔB)Ax (B's learning), are of the same order:
// neither matrix starves. Every probe the controller takes the median over its
// matrices of log(δ2/δ1), smooths it, and when the smoothed value leaves a band
// around 0 moves log λ against it, by a bounded step, within [minimum,
// maximum]. Since B starts at zero, δ1 is tiny at first whatever λ is; the
// first probes only measure. A probe without a usable pair of terms (NaN,
// zero, skipped step) holds λ. Torch-free; the state is part of checkpoints.
#pragma once

#include "engine/core/status.h"
#include "engine/train/stepmetrics.h"

#include <string>
#include <utility>
#include <vector>

namespace engine {

struct LambdaControllerSettings
{
    double start = 16.0;     // λ until the controller has measured enough (LoRA+'s recommendation)
    double minimum = 1.0;    // plain LoRA
    double maximum = 256.0;
    double band = 0.7;       // on target while |smoothed log(δ2/δ1)| ≤ band (about a factor 2 either way)
    double gain = 0.5;       // share of the excess over the band corrected per probe
    double maxStep = 0.405;  // at most ×1.5 or ÷1.5 per probe (log 1.5)
    double smoothing = 0.5;  // weight of the newest probe in the moving average
    int warmupProbes = 3;    // usable probes that only measure
};

class LambdaController
{
public:
    // matrixKeys[i]: the λ that adapted matrix i follows (one key for a global
    // λ, the module type for one λ per type), in the run's matrix order.
    explicit LambdaController(const std::vector<std::string> &matrixKeys, LambdaControllerSettings settings = {});

    // One probe's δ-terms, matrices in the run's order.
    void observe(const std::vector<MatrixMetrics> &matrices);

    // λ per key, keys in the order they first appear among the matrices.
    std::vector<std::pair<std::string, double>> ratios() const;
    double ratio(const std::string &key) const;
    // The geometric mean over the keys: the λ of trainable parameters outside
    // every key (biases, DoRA magnitudes, other 1-D parameters).
    double meanRatio() const;
    // The smoothed median log(δ2/δ1) of a key (NaN before its first usable probe).
    double smoothedLogRatio(const std::string &key) const;

    // Takes these λ values as its own (a data-parallel rank adopting rank 0's).
    void adopt(const std::vector<std::pair<std::string, double>> &ratios);

    // The state as JSON text, and back (resume is exact: same λ, same averages).
    std::string toJson() const;
    Status restore(const std::string &json);

private:
    struct Track
    {
        std::string key;
        std::vector<std::size_t> matrices; // indices into the run's matrices
        double logRatio = 0.0;             // log λ
        double smoothed = kNotMeasured;    // moving average of the median log(δ2/δ1)
        int probes = 0;                    // usable probes so far
    };
    void update(Track &track, double medianLog) const;

    LambdaControllerSettings m_settings;
    std::vector<Track> m_tracks;
};

} // namespace engine

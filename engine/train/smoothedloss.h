// The training loss as Lorafit displays it, the same in the app's loss plot
// and the CLI's progress line: an exponential moving average that keeps 0.9
// of the past at each step, debiased (divided by 1 − 0.9ⁿ after n steps) so
// the first steps show the losses themselves instead of being pulled towards
// zero, as TensorBoard's smoothing does. Torch-free and Qt-free.
#pragma once

#include <cmath>
#include <limits>

namespace engine {

class SmoothedLoss
{
public:
    static constexpr double kDecay = 0.9;

    // A non-finite loss (a skipped step) is left out.
    void add(double loss)
    {
        if (!std::isfinite(loss))
            return;
        m_sum = kDecay * m_sum + (1.0 - kDecay) * loss;
        m_weight = kDecay * m_weight + (1.0 - kDecay);
    }
    // NaN before the first finite loss.
    double value() const { return m_weight > 0.0 ? m_sum / m_weight : std::numeric_limits<double>::quiet_NaN(); }
    void reset() { m_sum = m_weight = 0.0; }

private:
    double m_sum = 0.0;
    double m_weight = 0.0;
};

} // namespace engine

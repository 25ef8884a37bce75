#include "engine/train/trainstep.h"

#include "engine/core/stopwatch.h"
#include "engine/lora/lorabranch.h"
#include "engine/train/causallmloss.h"

#include <cmath>

namespace engine {

namespace {

// torch::nn::utils::clip_grad_norm_ with the norm already measured
// (gradientNorms): one multi-tensor scale, and neither a second pass over the
// gradients nor a second host sync.
void clipGradients(const std::vector<torch::Tensor> &parameters, double totalNorm, double maxNorm)
{
    const double coefficient = maxNorm / (totalNorm + 1e-6);
    if (coefficient >= 1.0)
        return;
    std::vector<torch::Tensor> gradients;
    for (const torch::Tensor &parameter : parameters)
        if (parameter.grad().defined())
            gradients.push_back(parameter.grad());
    torch::NoGradGuard noGrad;
    at::_foreach_mul_(gradients, coefficient);
}

} // namespace

TrainStepResult runTrainStep(const TrainStepParts &parts, const std::vector<torch::Tensor> &ids,
    const std::vector<torch::Tensor> &labels, const TrainStepSettings &settings, std::vector<MatrixMetrics> &matrices)
{
    TrainStepResult result;
    parts.optimizer.zeroGrad();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const DropoutPosition position(i < settings.firstTokens.size() ? settings.firstTokens[i] : 0);
        const double scale = 1.0 / settings.lossDivisor;
        if (parts.preference)
            result.loss += preferenceLossBackward(
                parts.model, parts.reference, *parts.preference, ids[i], labels[i], scale, result.preference);
        else
            result.loss += causalLmLossBackward(parts.model, ids[i], labels[i], scale);
    }
    Stopwatch stopwatch;
    if (parts.ranks) {
        result.loss = parts.ranks->sumGradients(parts.parameters, { result.loss }).front();
        result.allReduceMs = stopwatch.milliseconds();
        stopwatch.restart();
    }
    result.norms = parts.adapterMetrics.gradientNorms(parts.parameters);
    result.metricsMs += stopwatch.milliseconds();
    result.skipped = !std::isfinite(result.loss) || !std::isfinite(result.norms.total);
    if (result.skipped) {
        parts.optimizer.zeroGrad();
        return result;
    }
    if (settings.maxGradNorm > 0.0)
        clipGradients(parts.parameters, result.norms.total, settings.maxGradNorm);
    if (settings.agreement) {
        stopwatch.restart();
        result.agreement = parts.optimizer.gradientAgreement(); // before the step: against the last update
        result.metricsMs += stopwatch.milliseconds();
    }
    parts.optimizer.setScheduleFactor(settings.scheduleFactor);
    const bool probing = settings.probing && parts.probe;
    stopwatch.restart();
    if (probing)
        parts.probe->capture();
    if (settings.perMatrixMetrics)
        parts.adapterMetrics.snapshot();
    result.metricsMs += stopwatch.milliseconds();
    parts.optimizer.step();
    stopwatch.restart();
    if (settings.perMatrixMetrics)
        parts.adapterMetrics.measure(matrices);
    if (probing)
        parts.probe->measure(matrices);
    result.metricsMs += stopwatch.milliseconds();
    return result;
}

} // namespace engine

#include "engine/train/trainstep.h"

#include "engine/core/stopwatch.h"
#include "engine/lora/lorabranch.h"
#include "engine/train/causallmloss.h"

#include <cmath>

namespace engine {


TrainStepResult runTrainStep(const TrainStepParts &parts, const std::vector<torch::Tensor> &ids,
    const std::vector<torch::Tensor> &labels, const TrainStepSettings &settings, std::vector<MatrixMetrics> &matrices)
{
    TrainStepResult result;
    parts.optimizer.zeroGrad();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const DropoutPosition position(i < settings.firstTokens.size() ? settings.firstTokens[i] : 0);
        result.loss += causalLmLossBackward(parts.model, ids[i], labels[i], 1.0 / settings.trainedTokens);
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
        torch::nn::utils::clip_grad_norm_(parts.parameters, settings.maxGradNorm);
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

#include "engine/train/optimizerconfig.h"

#include "engine/core/jsonreader.h"

#include <algorithm>
#include <cmath>

namespace engine {

namespace {

bool positive(double v)
{
    return v > 0.0 && std::isfinite(v);
}

} // namespace

const char *scheduleName(Schedule schedule)
{
    switch (schedule) {
    case Schedule::Constant: return "constant";
    case Schedule::Linear: return "linear";
    case Schedule::Cosine: return "cosine";
    }
    return "linear";
}

const char *optimizerKindName(OptimizerKind kind)
{
    return kind == OptimizerKind::Riemannian ? "riemannian" : "adamw";
}

const char *ratioScopeName(RatioScope scope)
{
    return scope == RatioScope::Module ? "module" : "global";
}

Status OptimizerConfig::validate() const
{
    if (!positive(learningRate) || learningRate > 1.0)
        return Status::failure("optimizer.learning_rate: must be in (0, 1] (hint: 1e-4 to 5e-4 is typical for LoRA)");
    if (!(loraPlusRatio >= 1.0) || !std::isfinite(loraPlusRatio))
        return Status::failure("optimizer.loraplus_ratio: must be >= 1 or \"auto\" (hint: 1 is plain LoRA; the "
                               "LoRA+ paper recommends about 16)");
    if (autoRatio && kind == OptimizerKind::Riemannian)
        return Status::failure("optimizer.loraplus_ratio: \"auto\" does not apply to the riemannian optimizer, which "
                               "trains A and B at one rate (hint: set a number, or optimizer.name \"adamw\")");
    if (!positive(riemannianDamping))
        return Status::failure("optimizer.riemannian_damping: must be positive (hint: 1e-6)");
    if (!(embeddingLearningRate >= 0.0))
        return Status::failure("optimizer.embedding_learning_rate: must not be negative");
    if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0))
        return Status::failure("optimizer.beta1/beta2: must be in [0, 1) (hint: 0.9 and 0.999)");
    if (!positive(epsilon))
        return Status::failure("optimizer.epsilon: must be positive (hint: 1e-8)");
    if (!(weightDecay >= 0.0))
        return Status::failure("optimizer.weight_decay: must not be negative");
    if (!(warmupRatio >= 0.0 && warmupRatio < 1.0))
        return Status::failure("optimizer.warmup_ratio: must be in [0, 1) (hint: 0.03)");
    if (!(minLearningRateRatio >= 0.0 && minLearningRateRatio <= 1.0))
        return Status::failure("optimizer.min_learning_rate_ratio: must be in [0, 1]");
    if (!(maxGradNorm >= 0.0))
        return Status::failure("optimizer.max_grad_norm: must not be negative (hint: 1.0; 0 disables clipping)");
    return Status::success();
}

std::int64_t OptimizerConfig::warmupFor(std::int64_t totalSteps) const
{
    if (warmupSteps >= 0)
        return std::min(warmupSteps, totalSteps);
    return static_cast<std::int64_t>(std::ceil(warmupRatio * static_cast<double>(totalSteps)));
}

double scheduleFactor(const OptimizerConfig &config, std::int64_t step, std::int64_t totalSteps)
{
    const std::int64_t warmup = config.warmupFor(totalSteps);
    if (step < warmup)
        return static_cast<double>(step + 1) / static_cast<double>(warmup + 1);
    const double floor = config.minLearningRateRatio;
    const std::int64_t decaySteps = std::max<std::int64_t>(1, totalSteps - warmup);
    const double progress = std::clamp(static_cast<double>(step - warmup) / static_cast<double>(decaySteps), 0.0, 1.0);
    switch (config.schedule) {
    case Schedule::Constant: return 1.0;
    case Schedule::Linear: return floor + (1.0 - floor) * (1.0 - progress);
    case Schedule::Cosine: return floor + (1.0 - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
    }
    return 1.0;
}

// Keys that only differ from the defaults are written only then
// (name, the automatic λ's scope, the damping), so settings documents and
// resume hashes of runs before them stay as they were.
std::string OptimizerConfig::toJson() const
{
    nlohmann::json j = {
        {"learning_rate", learningRate},
        {"loraplus_ratio", autoRatio ? nlohmann::json("auto") : nlohmann::json(loraPlusRatio)},
        {"embedding_learning_rate", embeddingLearningRate},
        {"beta1", beta1},
        {"beta2", beta2},
        {"epsilon", epsilon},
        {"weight_decay", weightDecay},
        {"schedule", scheduleName(schedule)},
        {"warmup_ratio", warmupRatio},
        {"warmup_steps", warmupSteps},
        {"min_learning_rate_ratio", minLearningRateRatio},
        {"max_grad_norm", maxGradNorm},
    };
    if (kind != OptimizerKind::AdamW) {
        j["name"] = optimizerKindName(kind);
        j["riemannian_damping"] = riemannianDamping;
    }
    if (autoRatio) {
        j["loraplus_ratio_scope"] = ratioScopeName(ratioScope);
        j["loraplus_ratio_start"] = loraPlusRatio;
    }
    return j.dump(2);
}

Result<OptimizerConfig> OptimizerConfig::fromJson(const std::string &json, const std::string &source)
{
    return guard([&] {
        const nlohmann::json parsed = parseJsonObject(json, source);
        JsonReader in(parsed, source);
        OptimizerConfig c;
        in.read("learning_rate", c.learningRate);
        in.readEnum("name", c.kind, {{"adamw", OptimizerKind::AdamW}, {"riemannian", OptimizerKind::Riemannian}});
        if (parsed.contains("loraplus_ratio") && parsed["loraplus_ratio"].is_string()) {
            std::string ratio;
            in.read("loraplus_ratio", ratio);
            if (ratio != "auto")
                in.fail("loraplus_ratio", "expected a number >= 1 or \"auto\", found '" + ratio + "'");
            c.autoRatio = true;
        } else {
            in.read("loraplus_ratio", c.loraPlusRatio);
        }
        in.read("loraplus_ratio_start", c.loraPlusRatio);
        in.readEnum("loraplus_ratio_scope", c.ratioScope,
                    {{"global", RatioScope::Global}, {"module", RatioScope::Module}});
        in.read("riemannian_damping", c.riemannianDamping);
        in.read("embedding_learning_rate", c.embeddingLearningRate);
        in.read("beta1", c.beta1);
        in.read("beta2", c.beta2);
        in.read("epsilon", c.epsilon);
        in.read("weight_decay", c.weightDecay);
        in.readEnum("schedule", c.schedule,
                    {{"constant", Schedule::Constant}, {"linear", Schedule::Linear}, {"cosine", Schedule::Cosine}});
        in.read("warmup_ratio", c.warmupRatio);
        in.read("warmup_steps", c.warmupSteps);
        in.read("min_learning_rate_ratio", c.minLearningRateRatio);
        in.read("max_grad_norm", c.maxGradNorm);
        in.rejectUnknownKeys();
        if (Status s = c.validate(); !s)
            throw Error(source + ": " + s.message());
        return c;
    });
}

} // namespace engine

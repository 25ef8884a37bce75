// PretrainConfig::validate and the derived sizes.
#include "engine/pretrain/pretrainconfig.h"

namespace engine {

namespace {

Status positive(std::int64_t value, const char *option)
{
    if (value > 0)
        return Status::success();
    return Status::failure(std::string(option) + " must be a positive number, not " + std::to_string(value));
}

} // namespace

std::int64_t PretrainConfig::mlpWidth() const
{
    if (intermediate > 0)
        return intermediate;
    const std::int64_t raw = (8 * hidden + 2) / 3;
    return (raw + 31) / 32 * 32;
}

std::int64_t PretrainConfig::keyValueHeads() const
{
    return kvHeads > 0 ? kvHeads : heads;
}

Status PretrainConfig::validate() const
{
    if (corpusPaths.empty())
        return Status::failure("no corpus given (hint: --corpus FILE or --corpus DIR, repeatable)");
    if (outDir.empty())
        return Status::failure("no output folder given (hint: --out DIR)");
    for (const auto &[value, option] : { std::pair { layers, "--layers" }, { hidden, "--hidden" }, { heads, "--heads" },
             { context, "--context" }, { std::int64_t(batchSize), "--batch" } })
        if (Status status = positive(value, option); !status)
            return status;
    if (kvHeads < 0 || intermediate < 0 || steps < 0 || minutes < 0)
        return Status::failure("--kv-heads, --intermediate, --steps and --minutes must not be negative");
    if (hidden % heads != 0)
        return Status::failure("--hidden " + std::to_string(hidden) + " does not divide by --heads "
            + std::to_string(heads) + " (hint: the head size is hidden / heads)");
    if ((hidden / heads) % 2 != 0)
        return Status::failure("the head size hidden / heads = " + std::to_string(hidden / heads)
            + " is odd (hint: rotary embeddings need an even head size)");
    if (heads % keyValueHeads() != 0)
        return Status::failure(
            "--heads " + std::to_string(heads) + " does not divide by --kv-heads " + std::to_string(keyValueHeads()));
    if (context < 8)
        return Status::failure("--context must be at least 8 tokens");
    if (!(learningRate > 0) || !(minLearningRateRatio >= 0 && minLearningRateRatio <= 1))
        return Status::failure("--lr must be positive and the minimum rate ratio within [0, 1]");
    if (!(weightDecay >= 0) || !(maxGradNorm >= 0))
        return Status::failure("weight decay and gradient clipping must not be negative");
    if (!(validationFraction > 0 && validationFraction <= 0.5))
        return Status::failure(
            "--validation-fraction must be within (0, 0.5], not " + std::to_string(validationFraction));
    return Status::success();
}

} // namespace engine

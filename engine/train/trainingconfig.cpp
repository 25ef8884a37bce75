#include "engine/train/trainingconfig.h"

#include "engine/core/jsonreader.h"

#include <cmath>
#include <regex>

namespace engine {

Status TrainingConfig::validate() const
{
    if (objective != "sft" && objective != "dpo" && objective != "orpo")
        return Status::failure("training.objective: unknown '" + objective
            + "' (hint: 'sft' learns the answers of any dataset, 'dpo' and 'orpo' learn from chosen/rejected pairs)");
    if (!(beta > 0.0 && beta <= 100.0))
        return Status::failure("training.beta: must be above 0 (hint: DPO's usual value is 0.1)");
    if (!(labelSmoothing >= 0.0 && labelSmoothing < 0.5))
        return Status::failure("training.label_smoothing: must be in [0, 0.5) (hint: 0 is plain DPO)");
    if (!(orpoLambda >= 0.0 && orpoLambda <= 100.0))
        return Status::failure("training.orpo_lambda: must be in [0, 100] (hint: ORPO's usual value is 0.1)");
    if (maxSteps < 0)
        return Status::failure("training.max_steps: must not be negative (hint: 0 trains for 'epochs')");
    if (maxSteps == 0 && !(epochs > 0.0 && std::isfinite(epochs)))
        return Status::failure("training.epochs: must be positive when max_steps is 0");
    if (batchSize < 1 || batchSize > 4096)
        return Status::failure("training.batch_size: " + std::to_string(batchSize) + " is out of range (hint: 1 to 64)");
    if (gradientAccumulation < 1)
        return Status::failure("training.gradient_accumulation: must be at least 1");
    if (evalEvery < 0 || evalBatches < 0 || checkpointEvery < 0 || probeEvery < 0)
        return Status::failure("training: eval_every, eval_batches, checkpoint_every and probe_every must not be negative");
    if (keepCheckpoints < 1)
        return Status::failure("training.keep_checkpoints: must be at least 1");
    if (maxBadSteps < 1)
        return Status::failure("training.max_bad_steps: must be at least 1");
    static const std::regex devicePattern("cpu|cuda(:[0-9]+)?");
    if (!std::regex_match(device, devicePattern))
        return Status::failure("training.device: unknown device '" + device + "' (hint: 'cpu', 'cuda' or 'cuda:0')");
    if (threads < 0)
        return Status::failure("training.threads: must not be negative (hint: 0 uses all cores)");
    if (processes < 1 || processes > 1024)
        return Status::failure("training.processes: " + std::to_string(processes)
            + " is not a process count (hint: 1 trains in one process; 2 or more split every batch among them)");
    if (processes > 1 && preference())
        return Status::failure("training.processes: the '" + objective
            + "' objective trains in one process for now (hint: set processes to 1)");
    if (baseWeights != "auto" && baseWeights != "f32" && baseWeights != "bf16" && baseWeights != "nf4")
        return Status::failure("training.base_weights: unknown '" + baseWeights
            + "' (hint: 'auto' is bf16 on CUDA and f32 on the CPU, 'f32' keeps the base as it is, 'bf16' halves it, "
              "'nf4' stores it in 4 bits as QLoRA does)");
    return Status::success();
}

std::string TrainingConfig::toJson() const
{
    nlohmann::json j = {
        {"max_steps", maxSteps},
        {"epochs", epochs},
        {"batch_size", batchSize},
        {"gradient_accumulation", gradientAccumulation},
        {"seed", seed},
        {"eval_every", evalEvery},
        {"eval_batches", evalBatches},
        {"checkpoint_every", checkpointEvery},
        {"keep_checkpoints", keepCheckpoints},
        {"probe_every", probeEvery},
        {"max_bad_steps", maxBadSteps},
        {"device", device},
        {"threads", threads},
        {"gradient_checkpointing", gradientCheckpointing},
        {"base_weights", baseWeights},
    };
    if (processes != 1) // documents of one-process runs stay as they were
        j["processes"] = processes;
    if (preference()) { // likewise for supervised runs
        j["objective"] = objective;
        j["beta"] = beta;
        j["label_smoothing"] = labelSmoothing;
        j["orpo_lambda"] = orpoLambda;
    }
    return j.dump(2);
}

Result<TrainingConfig> TrainingConfig::fromJson(const std::string &json, const std::string &source)
{
    return guard([&] {
        const nlohmann::json parsed = parseJsonObject(json, source);
        JsonReader in(parsed, source);
        TrainingConfig c;
        in.read("max_steps", c.maxSteps);
        in.read("epochs", c.epochs);
        in.read("batch_size", c.batchSize);
        in.read("gradient_accumulation", c.gradientAccumulation);
        in.read("seed", c.seed);
        in.read("eval_every", c.evalEvery);
        in.read("eval_batches", c.evalBatches);
        in.read("checkpoint_every", c.checkpointEvery);
        in.read("keep_checkpoints", c.keepCheckpoints);
        in.read("probe_every", c.probeEvery);
        in.read("max_bad_steps", c.maxBadSteps);
        in.read("device", c.device);
        in.read("threads", c.threads);
        in.read("gradient_checkpointing", c.gradientCheckpointing);
        in.read("base_weights", c.baseWeights);
        in.read("processes", c.processes);
        in.read("objective", c.objective);
        in.read("beta", c.beta);
        in.read("label_smoothing", c.labelSmoothing);
        in.read("orpo_lambda", c.orpoLambda);
        in.rejectUnknownKeys();
        if (Status s = c.validate(); !s)
            throw Error(source + ": " + s.message());
        return c;
    });
}

} // namespace engine

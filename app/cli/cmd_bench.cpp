// lorafit-cli bench [--shape NAME] [--steps N] [--threads N] [--no-metrics] [--gradient-checkpointing] [--nf4]
// [--base-weights auto|f32|bf16|nf4] [--batch N] [--length N] [--device cpu|cuda[:N]] [--profile TRACE.json] [--json]:
// trains a named model shape with random weights for N steps and prints tokens/s, the median step time, peak memory
// (host RSS; on CUDA also the caching allocator's peak) and model FLOP utilisation against the matrix-product rate
// measured in the same process. The work
// is engine::runTrainBench(); this file only parses options and prints.
#include "app/appsetup.h"
#include "app/cli/command.h"
#include "app/ranklauncher.h"

#include "engine/bench/trainbench.h"
#include "engine/core/runtime.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

QJsonObject toJson(const engine::BenchResult &r)
{
    QJsonObject o;
    o[QStringLiteral("shape")] = QString::fromStdString(r.shape);
    o[QStringLiteral("steps")] = r.steps;
    o[QStringLiteral("warmup_steps")] = r.warmupSteps;
    o[QStringLiteral("threads")] = r.threads;
    o[QStringLiteral("device")] = QString::fromStdString(r.device);
    const engine::RuntimeInfo runtime = engine::runtimeInfo();
    o[QStringLiteral("blas")] = QString::fromStdString(runtime.blas);
    o[QStringLiteral("blas_core")] = QString::fromStdString(runtime.blasCore);
    o[QStringLiteral("batch_size")] = r.batchSize;
    o[QStringLiteral("sequence_length")] = r.sequenceLength;
    o[QStringLiteral("metrics")] = r.metrics;
    o[QStringLiteral("gradient_checkpointing")] = r.gradientCheckpointing;
    o[QStringLiteral("base_weights")] = QString::fromStdString(r.baseWeights);
    o[QStringLiteral("base_weight_bytes")] = static_cast<double>(r.baseWeightBytes);
    o[QStringLiteral("base_parameters")] = static_cast<double>(r.baseParameters);
    o[QStringLiteral("lora_parameters")] = static_cast<double>(r.loraParameters);
    o[QStringLiteral("tokens_per_second")] = r.tokensPerSecond;
    o[QStringLiteral("ms_per_step")] = r.medianStepMs;
    o[QStringLiteral("ms_per_step_mean")] = r.meanStepMs;
    o[QStringLiteral("metrics_share")] = r.metricsShare;
    o[QStringLiteral("peak_rss_bytes")] = static_cast<double>(r.peakRssBytes);
    o[QStringLiteral("peak_rss_mib")] = static_cast<double>(r.peakRssBytes) / kMiB;
    o[QStringLiteral("peak_gpu_bytes")] = static_cast<double>(r.peakGpuAllocatedBytes);
    o[QStringLiteral("peak_gpu_mib")] = static_cast<double>(r.peakGpuAllocatedBytes) / kMiB;
    o[QStringLiteral("peak_gpu_reserved_mib")] = static_cast<double>(r.peakGpuReservedBytes) / kMiB;
    o[QStringLiteral("model_gflop_per_step")] = r.modelGflopPerStep;
    o[QStringLiteral("achieved_gflops")] = r.achievedGflops;
    o[QStringLiteral("sgemm_gflops")] = r.sgemmGflops;
    o[QStringLiteral("sgemm_gflops_best")] = r.sgemmGflopsBest;
    o[QStringLiteral("mfu")] = r.mfu;
    o[QStringLiteral("user_seconds")] = r.userSeconds;
    o[QStringLiteral("system_seconds")] = r.systemSeconds;
    o[QStringLiteral("first_loss")] = r.firstLoss;
    o[QStringLiteral("last_loss")] = r.lastLoss;
    o[QStringLiteral("ranks")] = r.ranks;
    o[QStringLiteral("allreduce_share")] = r.allReduceShare;
    return o;
}

void printText(const engine::BenchResult &r)
{
    cli::printLine(QStringLiteral("shape %1: %2 M frozen + %3 M LoRA parameters, batch %4 x %5 tokens, %6 threads on %11, "
                                  "metrics %7, gradient checkpointing %8, base %9 (%10 MiB)")
                       .arg(QString::fromStdString(r.shape))
                       .arg(r.baseParameters / 1e6, 0, 'f', 1)
                       .arg(r.loraParameters / 1e6, 0, 'f', 2)
                       .arg(r.batchSize)
                       .arg(r.sequenceLength)
                       .arg(r.threads)
                       .arg(r.metrics ? QStringLiteral("on") : QStringLiteral("off"),
                            r.gradientCheckpointing ? QStringLiteral("on") : QStringLiteral("off"),
                            QString::fromStdString(r.baseWeights))
                       .arg(static_cast<double>(r.baseWeightBytes) / kMiB, 0, 'f', 1)
                       .arg(QString::fromStdString(r.device)));
    cli::printLine(QStringLiteral("  %1 tokens/s, %2 ms per step (median of %3 after %4 warm-up; mean %5 ms)")
                       .arg(r.tokensPerSecond, 0, 'f', 1)
                       .arg(r.medianStepMs, 0, 'f', 1)
                       .arg(r.steps)
                       .arg(r.warmupSteps)
                       .arg(r.meanStepMs, 0, 'f', 1));
    if (r.metrics)
        cli::printLine(QStringLiteral("  metric work (gradient norms, per-matrix figures, δ probes): %1 % of step time")
                           .arg(100.0 * r.metricsShare, 0, 'f', 2));
    cli::printLine(QStringLiteral("  peak RSS %1 MiB; CPU %2 s user, %3 s system over the measured steps")
                       .arg(static_cast<double>(r.peakRssBytes) / kMiB, 0, 'f', 1)
                       .arg(r.userSeconds, 0, 'f', 2)
                       .arg(r.systemSeconds, 0, 'f', 2));
    if (r.peakGpuAllocatedBytes > 0)
        cli::printLine(QStringLiteral("  peak GPU memory %1 MiB allocated, %2 MiB reserved (CUDA caching allocator)")
                           .arg(static_cast<double>(r.peakGpuAllocatedBytes) / kMiB, 0, 'f', 1)
                           .arg(static_cast<double>(r.peakGpuReservedBytes) / kMiB, 0, 'f', 1));
    cli::printLine(QStringLiteral("  MFU %1 %: %2 GFLOP/s of model work (%3 GFLOP per step) against matrix products at %4 GFLOP/s "
                                  "(median between steps; best %5)")
                       .arg(100.0 * r.mfu, 0, 'f', 1)
                       .arg(r.achievedGflops, 0, 'f', 1)
                       .arg(r.modelGflopPerStep, 0, 'f', 1)
                       .arg(r.sgemmGflops, 0, 'f', 1)
                       .arg(r.sgemmGflopsBest, 0, 'f', 1));
    cli::printLine(QStringLiteral("  loss %1 -> %2").arg(r.firstLoss, 0, 'f', 4).arg(r.lastLoss, 0, 'f', 4));
    if (r.ranks > 1)
        cli::printLine(QStringLiteral("  %1 processes (data parallel, batch split by rows): summing the gradients took "
                                      "%2 % of step time")
                           .arg(r.ranks)
                           .arg(100.0 * r.allReduceShare, 0, 'f', 2));
    for (const QString &line : app::blasLines())
        cli::printLine(QStringLiteral("  ") + line);
}

bool readCount(const QCommandLineParser &parser, const QString &name, int minimum, int &out)
{
    if (!parser.isSet(name))
        return true;
    bool ok = false;
    const int value = parser.value(name).toInt(&ok);
    if (!ok || value < minimum)
        return false;
    out = value;
    return true;
}

int runBench(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Train a model shape with random weights (LoRA r = 16 on attention and MLP, batch 4 x 256 random tokens) "
        "and report tokens/s, step time, peak memory and MFU."));
    parser.addHelpOption();
    QStringList shapes;
    for (const std::string &name : engine::benchShapeNames())
        shapes << QString::fromStdString(name);
    parser.addOption({ QStringLiteral("shape"), QStringLiteral("Model shape: %1.").arg(shapes.join(QStringLiteral(", "))),
        QStringLiteral("name"), QStringLiteral("tiny") });
    parser.addOption({ QStringLiteral("steps"), QStringLiteral("Measured steps (default 10)."), QStringLiteral("n") });
    parser.addOption({ QStringLiteral("warmup"), QStringLiteral("Unmeasured steps first (default 2)."),
        QStringLiteral("n") });
    parser.addOption({ QStringLiteral("threads"), QStringLiteral("Intra-op threads (default: LORAFIT_THREADS or all)."),
        QStringLiteral("n") });
    parser.addOption({ QStringLiteral("no-metrics"),
        QStringLiteral("Skip the per-matrix norms and δ probes, to measure what they cost.") });
    parser.addOption({ QStringLiteral("gradient-checkpointing"),
        QStringLiteral("Recompute each layer's activations in backward (less memory, one more forward pass).") });
    parser.addOption({ QStringLiteral("device"),
        QStringLiteral("cpu (default), cuda or cuda:N; CUDA computes in bf16 under autocast, as training does."),
        QStringLiteral("device"), QStringLiteral("cpu") });
    parser.addOption({ QStringLiteral("nf4"),
        QStringLiteral("Store the frozen decoder projections as 4-bit NF4, dequantised on the fly (QLoRA); "
                       "the same as --base-weights nf4.") });
    parser.addOption({ QStringLiteral("base-weights"),
        QStringLiteral("Frozen decoder projections: auto (bf16 on a CUDA GPU with bf16, else f32), f32, bf16 or nf4."),
        QStringLiteral("kind"), QStringLiteral("auto") });
    parser.addOption({ QStringLiteral("batch"), QStringLiteral("Sequences per step (default 4)."), QStringLiteral("n") });
    parser.addOption({ QStringLiteral("length"), QStringLiteral("Tokens per sequence (default 256)."),
        QStringLiteral("n") });
    parser.addOption({ QStringLiteral("profile"),
        QStringLiteral("Write a Chrome trace of the measured steps' operators to FILE "
                       "(summarise it with tests/bench/profile_summary.py)."),
        QStringLiteral("file") });
    parser.addOption({ QStringLiteral("json"), QStringLiteral("Print one JSON object instead of text.") });
    parser.addOption({ QStringLiteral("nproc"),
        QStringLiteral("Processes on this machine, data parallel: each trains its rows of every batch "
                       "(default 1)."),
        QStringLiteral("n") });
    if (const std::optional<int> code = cli::parseArguments(parser, arguments))
        return *code;

    engine::BenchOptions options;
    options.shape = parser.value(QStringLiteral("shape")).toStdString();
    options.metrics = !parser.isSet(QStringLiteral("no-metrics"));
    options.gradientCheckpointing = parser.isSet(QStringLiteral("gradient-checkpointing"));
    options.baseWeights = parser.isSet(QStringLiteral("nf4")) ? std::string("nf4")
                                                               : parser.value(QStringLiteral("base-weights")).toStdString();
    options.device = parser.value(QStringLiteral("device")).toStdString();
    options.profilePath = parser.value(QStringLiteral("profile")).toStdString();
    if (!readCount(parser, QStringLiteral("steps"), 1, options.steps)
        || !readCount(parser, QStringLiteral("warmup"), 0, options.warmupSteps)
        || !readCount(parser, QStringLiteral("threads"), 1, options.threads)
        || !readCount(parser, QStringLiteral("batch"), 1, options.batchSize)
        || !readCount(parser, QStringLiteral("length"), 2, options.sequenceLength)) {
        cli::fail(QStringLiteral("--steps, --threads and --batch need a whole number of at least 1, --length of at "
                                 "least 2, --warmup of at least 0"));
        return cli::kExitUsage;
    }
    int processes = 1;
    if (!readCount(parser, QStringLiteral("nproc"), 1, processes))
        return cli::fail(QStringLiteral("--nproc needs a whole number of at least 1"));
    const auto fromEnvironment = engine::distributedFromEnvironment(); // a rank --nproc started
    if (!fromEnvironment)
        return cli::fail(QString::fromStdString(fromEnvironment.message()));
    app::RankLauncher launcher;
    if (fromEnvironment.value()) {
        options.distributed = *fromEnvironment.value();
    } else if (processes > 1) {
        options.distributed.worldSize = processes;
        options.distributed.masterPort = app::freeLocalPort();
        QStringList rankArguments = arguments.mid(1);
        const int at = rankArguments.indexOf(QStringLiteral("--nproc"));
        if (at >= 0)
            rankArguments.remove(at, 2);
        rankArguments.prepend(QStringLiteral("bench"));
        const engine::Status started = launcher.start(QCoreApplication::applicationFilePath(), rankArguments,
            options.distributed, processes, QDir::temp().filePath(QStringLiteral("lorafit-bench-ranks")));
        if (!started)
            return cli::fail(QString::fromStdString(started.message()));
    }
    const engine::Result<engine::BenchResult> result = engine::runTrainBench(options);
    launcher.finish(result ? 60000 : 5000);
    if (!result) {
        const QString rank = launcher.failure();
        return cli::fail(QString::fromStdString(result.status().message()) + (rank.isEmpty() ? QString() : "; " + rank));
    }
    if (!options.distributed.isLeader())
        return cli::kExitOk; // rank 0 reports
    if (parser.isSet(QStringLiteral("json")))
        cli::printLine(QString::fromUtf8(QJsonDocument(toJson(result.value())).toJson(QJsonDocument::Compact)));
    else
        printText(result.value());
    return cli::kExitOk;
}

const cli::CommandRegistration registration({ "bench", "benchmark a LoRA training step on a model shape", runBench });

} // namespace

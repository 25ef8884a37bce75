// lorafit-cli pretrain: trains a byte-level BPE tokenizer and a small
// Llama-architecture model from scratch on a text corpus and writes a Hugging
// Face folder that Lorafit (and transformers) can load and fine-tune. Prints
// progress lines while training; Ctrl-C stops training early and still writes
// the model trained so far.
#include "app/cli/command.h"

#include "engine/pretrain/pretrainer.h"

#include <QCommandLineParser>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>

namespace {

std::atomic<bool> g_interrupted { false };

extern "C" void onInterrupt(int)
{
    g_interrupted = true;
}

QString duration(double seconds)
{
    const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
    if (s >= 3600)
        return QStringLiteral("%1h%2m").arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

struct Options
{
    QCommandLineOption corpus { QStringLiteral("corpus"),
        QStringLiteral("Text corpus: a .txt file (paragraphs are "
                       "documents), a .jsonl file of {\"text\"} records, or a folder of them. Repeatable."),
        QStringLiteral("PATH") };
    QCommandLineOption out { QStringLiteral("out"), QStringLiteral("Model folder to write."), QStringLiteral("DIR") };
    QCommandLineOption overwrite { QStringLiteral("overwrite"), QStringLiteral("Replace an existing --out folder.") };
    QCommandLineOption vocab { QStringLiteral("vocab"), QStringLiteral("Tokenizer vocabulary size (default 4096)."),
        QStringLiteral("N") };
    QCommandLineOption layers { QStringLiteral("layers"), QStringLiteral("Decoder layers (default 4)."),
        QStringLiteral("L") };
    QCommandLineOption hidden { QStringLiteral("hidden"), QStringLiteral("Model width (default 256)."),
        QStringLiteral("H") };
    QCommandLineOption heads { QStringLiteral("heads"), QStringLiteral("Attention heads (default 4)."),
        QStringLiteral("NH") };
    QCommandLineOption kvHeads { QStringLiteral("kv-heads"), QStringLiteral("Key/value heads (default: --heads)."),
        QStringLiteral("KV") };
    QCommandLineOption intermediate { QStringLiteral("intermediate"),
        QStringLiteral("MLP width (default 8/3 x hidden, rounded up to 32)."), QStringLiteral("I") };
    QCommandLineOption context { QStringLiteral("context"), QStringLiteral("Tokens per sequence (default 256)."),
        QStringLiteral("C") };
    QCommandLineOption steps { QStringLiteral("steps"), QStringLiteral("Optimizer steps (default 1000)."),
        QStringLiteral("N") };
    QCommandLineOption minutes { QStringLiteral("minutes"),
        QStringLiteral("Train for this wall time instead of a number of steps."), QStringLiteral("M") };
    QCommandLineOption batch { QStringLiteral("batch"), QStringLiteral("Sequences per step (default 16)."),
        QStringLiteral("B") };
    QCommandLineOption lr { QStringLiteral("lr"), QStringLiteral("Peak learning rate (default 1e-3)."),
        QStringLiteral("LR") };
    QCommandLineOption warmup { QStringLiteral("warmup"),
        QStringLiteral("Warmup steps (default 5% of the steps, at most 200)."), QStringLiteral("N") };
    QCommandLineOption seed { QStringLiteral("seed"), QStringLiteral("Random seed (default 42)."),
        QStringLiteral("S") };
    QCommandLineOption validation { QStringLiteral("validation-fraction"),
        QStringLiteral("Share of documents held out for validation (default 0.02)."), QStringLiteral("F") };
    QCommandLineOption f32 { QStringLiteral("f32"), QStringLiteral("Write float32 weights (default float16).") };
    QCommandLineOption logEvery { QStringLiteral("log-every"),
        QStringLiteral("Print a progress line every N steps (default: every 5 seconds)."), QStringLiteral("N") };

    void addTo(QCommandLineParser &parser)
    {
        parser.addOptions({ corpus, out, overwrite, vocab, layers, hidden, heads, kvHeads, intermediate, context, steps,
            minutes, batch, lr, warmup, seed, validation, f32, logEvery });
    }
};

// Reads a numeric option into `out` if given; returns an error message or "".
template<typename T> QString readNumber(const QCommandLineParser &parser, const QCommandLineOption &option, T &out)
{
    if (!parser.isSet(option))
        return {};
    const QString text = parser.value(option);
    bool ok = false;
    double value = text.toDouble(&ok);
    if constexpr (std::is_integral_v<T>)
        ok = ok && value == std::floor(value);
    if (!ok)
        return QStringLiteral("--%1 expects a number, not '%2'").arg(option.names().first(), text);
    out = static_cast<T>(value);
    return {};
}

QString readConfig(
    const QCommandLineParser &parser, const Options &o, engine::PretrainConfig &config, std::int64_t &logEvery)
{
    for (const QString &path : parser.values(o.corpus))
        config.corpusPaths.push_back(path.toStdString());
    config.outDir = parser.value(o.out).toStdString();
    config.overwrite = parser.isSet(o.overwrite);
    config.halfPrecision = !parser.isSet(o.f32);
    const QString errors[] = { readNumber(parser, o.vocab, config.vocabSize),
        readNumber(parser, o.layers, config.layers), readNumber(parser, o.hidden, config.hidden),
        readNumber(parser, o.heads, config.heads), readNumber(parser, o.kvHeads, config.kvHeads),
        readNumber(parser, o.intermediate, config.intermediate), readNumber(parser, o.context, config.context),
        readNumber(parser, o.steps, config.steps), readNumber(parser, o.minutes, config.minutes),
        readNumber(parser, o.batch, config.batchSize), readNumber(parser, o.lr, config.learningRate),
        readNumber(parser, o.warmup, config.warmupSteps), readNumber(parser, o.seed, config.seed),
        readNumber(parser, o.validation, config.validationFraction), readNumber(parser, o.logEvery, logEvery) };
    for (const QString &error : errors)
        if (!error.isEmpty())
            return error;
    return {};
}

class ProgressPrinter
{
public:
    explicit ProgressPrinter(std::int64_t logEvery)
        : m_logEvery(logEvery)
    { }

    bool operator()(const engine::PretrainProgress &p)
    {
        using Phase = engine::PretrainProgress::Phase;
        if (p.phase != Phase::Training) {
            if (!p.message.empty())
                cli::printLine(QString::fromStdString(p.message) + QStringLiteral("..."));
            return !g_interrupted;
        }
        const auto now = std::chrono::steady_clock::now();
        const bool due = m_logEvery > 0 ? p.step % m_logEvery == 0 : now - m_last >= std::chrono::seconds(5);
        if (p.step == 1 || due || p.step == p.totalSteps) {
            m_last = now;
            cli::printLine(QStringLiteral("step %1/%2  loss %3  lr %4  %5 tok/s  elapsed %6  ETA %7")
                               .arg(p.step)
                               .arg(p.totalSteps)
                               .arg(p.loss, 0, 'f', 4)
                               .arg(p.learningRate, 0, 'e', 2)
                               .arg(p.tokensPerSecond, 0, 'f', 0)
                               .arg(duration(p.elapsedSeconds), duration(p.etaSeconds)));
        }
        return !g_interrupted;
    }

private:
    std::int64_t m_logEvery;
    std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
};

void printSummary(const engine::PretrainSummary &s)
{
    cli::printLine(QStringLiteral("Parameters: %1 (vocabulary %2)").arg(s.parameters).arg(s.vocabSize));
    cli::printLine(QStringLiteral("Corpus:     %1 training tokens in %2 documents, %3 validation tokens in %4")
                       .arg(s.trainTokens)
                       .arg(s.trainDocuments)
                       .arg(s.validationTokens)
                       .arg(s.validationDocuments));
    cli::printLine(QStringLiteral("Training:   %1 steps, %2 tokens in %3 (%4 tok/s)%5")
                       .arg(s.steps)
                       .arg(s.tokensSeen)
                       .arg(duration(s.trainSeconds))
                       .arg(s.tokensPerSecond, 0, 'f', 0)
                       .arg(s.stoppedEarly ? QStringLiteral(", stopped early") : QString()));
    cli::printLine(QStringLiteral("Loss:       first step %1, last steps %2")
                       .arg(s.firstLoss, 0, 'f', 4)
                       .arg(s.finalLoss, 0, 'f', 4));
    cli::printLine(QStringLiteral("Validation loss %1 (perplexity %2; before training %3)")
                       .arg(s.validationLoss, 0, 'f', 6)
                       .arg(s.validationPerplexity, 0, 'f', 2)
                       .arg(s.initialValidationLoss, 0, 'f', 4));
    if (!s.outDir.empty())
        cli::printLine(
            QStringLiteral("Wrote %1 (total time %2)").arg(QString::fromStdString(s.outDir), duration(s.totalSeconds)));
}

int runPretrain(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Train a BPE tokenizer and a small Llama-architecture model from scratch on a text corpus, and write it as a "
        "Hugging Face model folder."));
    parser.addHelpOption();
    Options options;
    options.addTo(parser);
    if (const std::optional<int> code = cli::parseArguments(parser, arguments))
        return *code;

    engine::PretrainConfig config;
    std::int64_t logEvery = 0;
    if (const QString error = readConfig(parser, options, config, logEvery); !error.isEmpty())
        return cli::fail(error);
    g_interrupted = false;
    std::signal(SIGINT, onInterrupt);
    ProgressPrinter printer(logEvery);
    const engine::Result<engine::PretrainSummary> result
        = engine::pretrain(config, [&printer](const engine::PretrainProgress &p) { return printer(p); });
    std::signal(SIGINT, SIG_DFL);
    if (!result)
        return cli::fail(QString::fromStdString(result.message()));
    printSummary(result.value());
    if (result.value().outDir.empty())
        return cli::kExitCancelled;
    return cli::kExitOk;
}

const cli::CommandRegistration registration(
    { "pretrain", "train a tokenizer and a small model from scratch on a text corpus", runPretrain });

} // namespace

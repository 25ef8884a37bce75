// lorafit-cli generate: continue a prompt (raw, or as a chat turn with the
// model's template) with the base model or base + a PEFT adapter, streaming
// the text to stdout as it is produced. Statistics go to stderr. Ctrl-C stops
// generation cleanly (exit code 130, the text so far is kept).
#include "app/cli/command.h"
#include "app/qtstrings.h"
#include "app/cli/interruptscope.h"
#include "app/cli/numberoption.h"

#include "engine/generate/inferencesession.h"

#include <QCommandLineParser>

#include <cstdio>
#include <random>

namespace {

using app::fromStd;

void addOptions(QCommandLineParser &parser)
{
    parser.addOptions({
        { QStringLiteral("model"), QStringLiteral("Model folder (config.json, safetensors, tokenizer)."), QStringLiteral("DIR") },
        { QStringLiteral("prompt"), QStringLiteral("The prompt text."), QStringLiteral("TEXT") },
        { QStringLiteral("chat"), QStringLiteral("Send the prompt as a user message in the model's chat template.") },
        { QStringLiteral("system"), QStringLiteral("With --chat: a system message before the prompt."), QStringLiteral("TEXT") },
        { QStringLiteral("adapter"), QStringLiteral("PEFT adapter folder to apply to the model."), QStringLiteral("DIR") },
        { QStringLiteral("max-new-tokens"), QStringLiteral("Tokens to generate at most (256)."), QStringLiteral("N") },
        { QStringLiteral("temperature"), QStringLiteral("Sampling temperature; 0 = greedy (0.8)."), QStringLiteral("T") },
        { QStringLiteral("top-k"), QStringLiteral("Sample among the K most likely tokens; 0 = off (40)."), QStringLiteral("K") },
        { QStringLiteral("top-p"), QStringLiteral("Nucleus sampling mass in (0, 1]; 1 = off (0.95)."), QStringLiteral("P") },
        { QStringLiteral("repetition-penalty"), QStringLiteral("Penalty for tokens already seen; 1 = off (1.0)."), QStringLiteral("R") },
        { QStringLiteral("seed"), QStringLiteral("Sampling seed (random if not given; printed at the end)."), QStringLiteral("S") },
        { QStringLiteral("stop"), QStringLiteral("Stop when the output contains STR (repeatable)."), QStringLiteral("STR") },
        { QStringLiteral("device"), QStringLiteral("cpu, cuda or cuda:N (cpu)."), QStringLiteral("DEV") },
    });
}

// Fills options from the command line; returns false with a message.
bool readOptions(const QCommandLineParser &parser, engine::GenerationOptions &options, QString &error)
{
    qint64 maxNew = options.maxNewTokens, topK = options.topK;
    quint64 seed = std::random_device{}();
    const bool ok = cli::readInteger(parser, QStringLiteral("max-new-tokens"), 1, 1 << 24, maxNew, error)
        && cli::readInteger(parser, QStringLiteral("top-k"), 0, 1 << 30, topK, error)
        && cli::readReal(parser, QStringLiteral("temperature"), options.temperature, error)
        && cli::readReal(parser, QStringLiteral("top-p"), options.topP, error)
        && cli::readReal(parser, QStringLiteral("repetition-penalty"), options.repetitionPenalty, error)
        && cli::readUnsigned(parser, QStringLiteral("seed"), seed, error);
    if (!ok)
        return false;
    options.maxNewTokens = static_cast<int>(maxNew);
    options.topK = static_cast<int>(topK);
    options.seed = seed;
    for (const QString &stop : parser.values(QStringLiteral("stop")))
        options.stopStrings.push_back(stop.toStdString());
    if (engine::Status status = options.validate(); !status) {
        error = fromStd(status.message());
        return false;
    }
    return true;
}

engine::GenerationPrompt makePrompt(const QCommandLineParser &parser)
{
    engine::GenerationPrompt prompt;
    const std::string text = parser.value(QStringLiteral("prompt")).toStdString();
    if (!parser.isSet(QStringLiteral("chat"))) {
        prompt.text = text;
        return prompt;
    }
    if (parser.isSet(QStringLiteral("system")))
        prompt.messages.push_back({ "system", parser.value(QStringLiteral("system")).toStdString(), true });
    prompt.messages.push_back({ "user", text, true });
    return prompt;
}

void printSummary(const engine::GenerationResult &result, const engine::GenerationOptions &options)
{
    const QString seed = options.greedy() ? QStringLiteral("greedy") : QStringLiteral("seed %1").arg(options.seed);
    const QByteArray line = QStringLiteral("\n[%1 prompt tokens in %2 s; %3 new tokens in %4 s, %5 tokens/s; stop: %6; %7]\n")
                                .arg(result.promptTokens)
                                .arg(result.promptSeconds, 0, 'f', 2)
                                .arg(result.newTokens)
                                .arg(result.generateSeconds, 0, 'f', 2)
                                .arg(result.tokensPerSecond, 0, 'f', 1)
                                .arg(QString::fromLatin1(engine::stopReasonName(result.stopReason)), seed)
                                .toUtf8();
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stderr);
    std::fflush(stderr);
}

int generate(engine::InferenceSession &session, const engine::GenerationPrompt &prompt,
             const engine::GenerationOptions &options)
{
    const cli::InterruptScope interrupt;
    const auto onText = [](const std::string &piece) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        return true;
    };
    const engine::Result<engine::GenerationResult> result =
        session.generate(prompt, options, onText, interrupt.flag());
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (!result)
        return cli::fail(fromStd(result.message()));
    printSummary(result.value(), options);
    return result.value().stopReason == engine::StopReason::Cancelled ? cli::kExitCancelled : cli::kExitOk;
}

int runGenerate(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Generate text with a model (and optionally a LoRA adapter)."));
    parser.addHelpOption();
    addOptions(parser);
    if (const std::optional<int> code = cli::parseArguments(parser, arguments))
        return *code;
    if (!parser.isSet(QStringLiteral("model")) || !parser.isSet(QStringLiteral("prompt"))) {
        cli::fail(QStringLiteral("generate needs --model DIR and --prompt TEXT (see lorafit-cli generate --help)"));
        return cli::kExitUsage;
    }
    engine::GenerationOptions options;
    QString error;
    if (!readOptions(parser, options, error)) {
        cli::fail(error);
        return cli::kExitUsage;
    }
    const QString device = parser.isSet(QStringLiteral("device")) ? parser.value(QStringLiteral("device")) : QStringLiteral("cpu");
    auto session = engine::InferenceSession::open(parser.value(QStringLiteral("model")).toStdString(), device.toStdString());
    if (!session)
        return cli::fail(fromStd(session.message()));
    const engine::InferenceSessionInfo &info = session.value()->info();
    if (parser.isSet(QStringLiteral("chat")) && !info.chatTemplateWarning.empty())
        std::fprintf(stderr, "lorafit-cli: warning: chat template %s: %s\n", info.chatTemplate.c_str(),
                     info.chatTemplateWarning.c_str());
    if (parser.isSet(QStringLiteral("adapter"))) {
        if (engine::Status status = session.value()->setAdapter(parser.value(QStringLiteral("adapter")).toStdString()); !status)
            return cli::fail(fromStd(status.message()));
    }
    return generate(*session.value(), makePrompt(parser), options);
}

const cli::CommandRegistration registration(
    { "generate", "continue a prompt with a model (and adapter), streaming the text", runGenerate });

} // namespace

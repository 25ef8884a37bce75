// lorafit-cli eval: how well a model (optionally with a PEFT adapter) predicts
// a text file: token count, mean loss and perplexity, and with --token-losses
// a TSV of every predicted position (written atomically). Texts longer than
// the window are evaluated in windows of the model's context. Ctrl-C stops
// between windows (exit code 130, nothing written).
#include "app/cli/command.h"
#include "app/qtstrings.h"
#include "app/cli/interruptscope.h"
#include "app/cli/numberoption.h"

#include "engine/core/atomicfile.h"
#include "engine/generate/inferencesession.h"

#include <QCommandLineParser>

#include <cstdio>

namespace {

using app::fromStd;

void printEvaluation(const engine::TextEvaluation &evaluation)
{
    cli::printLine(QStringLiteral("Tokens:      %1 (%2 predicted, %3 window(s) of up to %4 tokens)")
                       .arg(evaluation.textTokens)
                       .arg(evaluation.tokens.size())
                       .arg(evaluation.windows)
                       .arg(evaluation.windowLength));
    cli::printLine(QStringLiteral("Mean loss:   %1").arg(evaluation.meanLoss, 0, 'f', 6));
    cli::printLine(QStringLiteral("Perplexity:  %1").arg(evaluation.perplexity, 0, 'f', 4));
}

int evaluate(engine::InferenceSession &session, const std::string &text, qint64 window, const QString &tsvPath)
{
    const cli::InterruptScope interrupt;
    const engine::Result<engine::TextEvaluation> evaluation = session.evaluate(text, window, interrupt.flag());
    if (!evaluation)
        return cli::fail(fromStd(evaluation.message()));
    if (evaluation.value().cancelled) {
        std::fputs("lorafit-cli: eval cancelled; nothing written\n", stderr);
        return cli::kExitCancelled;
    }
    if (!tsvPath.isEmpty()) {
        const engine::Status written =
            engine::guard([&] { engine::writeFileAtomically(tsvPath.toStdString(), engine::tokenLossTable(evaluation.value())); });
        if (!written)
            return cli::fail(fromStd(written.message()));
    }
    printEvaluation(evaluation.value());
    return cli::kExitOk;
}

int runEval(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Mean loss and perplexity of a model on a text file."));
    parser.addHelpOption();
    parser.addOptions({
        { QStringLiteral("model"), QStringLiteral("Model folder (config.json, safetensors, tokenizer)."), QStringLiteral("DIR") },
        { QStringLiteral("text"), QStringLiteral("UTF-8 text file to evaluate."), QStringLiteral("FILE") },
        { QStringLiteral("adapter"), QStringLiteral("PEFT adapter folder to apply to the model."), QStringLiteral("DIR") },
        { QStringLiteral("token-losses"), QStringLiteral("Write each position's token and loss to this TSV file."), QStringLiteral("OUT.tsv") },
        { QStringLiteral("max-length"), QStringLiteral("Tokens per window (default: the model's context, at most 2048)."), QStringLiteral("N") },
        { QStringLiteral("device"), QStringLiteral("cpu, cuda or cuda:N (cpu)."), QStringLiteral("DEV") },
    });
    if (const std::optional<int> code = cli::parseArguments(parser, arguments))
        return *code;
    if (!parser.isSet(QStringLiteral("model")) || !parser.isSet(QStringLiteral("text"))) {
        cli::fail(QStringLiteral("eval needs --model DIR and --text FILE (see lorafit-cli eval --help)"));
        return cli::kExitUsage;
    }
    qint64 window = 0;
    QString error;
    if (!cli::readInteger(parser, QStringLiteral("max-length"), 2, 1 << 30, window, error)) {
        cli::fail(error);
        return cli::kExitUsage;
    }
    const engine::Result<std::string> text =
        engine::guard([&] { return engine::readFile(parser.value(QStringLiteral("text")).toStdString()); });
    if (!text)
        return cli::fail(fromStd(text.message()));
    const QString device = parser.isSet(QStringLiteral("device")) ? parser.value(QStringLiteral("device")) : QStringLiteral("cpu");
    auto session = engine::InferenceSession::open(parser.value(QStringLiteral("model")).toStdString(), device.toStdString());
    if (!session)
        return cli::fail(fromStd(session.message()));
    if (parser.isSet(QStringLiteral("adapter"))) {
        if (engine::Status status = session.value()->setAdapter(parser.value(QStringLiteral("adapter")).toStdString()); !status)
            return cli::fail(fromStd(status.message()));
    }
    return evaluate(*session.value(), text.value(), window, parser.value(QStringLiteral("token-losses")));
}

const cli::CommandRegistration registration(
    { "eval", "mean loss and perplexity of a model (and adapter) on a text file", runEval });

} // namespace

// lorafit-cli data inspect FILE: what Lorafit makes of a dataset file or
// folder: detected shape, chat template, record statistics and the first
// rendered examples with the masked (no-loss) parts marked. With --model the
// model's tokenizer and chat template are used and lengths are in tokens;
// without it, lengths are UTF-8 bytes and conversations render as ChatML.
#include "app/cli/command.h"

#include "app/qtstrings.h"

#include "engine/data/chattemplatedetector.h"
#include "engine/data/datasetpreview.h"
#include "engine/tokenizer/tokenizerloader.h"

#include <QCommandLineParser>

#include <optional>

namespace {

using app::fromStd;

using namespace engine::data;

const char kMaskOpen[] = "\u27E6"; // ⟦ masked text ⟧
const char kMaskClose[] = "\u27E7";

void printSummary(const QString &file, const DatasetPreview &p, const DatasetConfig &config)
{
    const QString unit = p.tokenized ? QStringLiteral("tokens") : QStringLiteral("bytes");
    cli::printLine(QStringLiteral("Dataset:    %1").arg(file));
    cli::printLine(
        QStringLiteral("Shape:      %1 (%2)").arg(QString::fromLatin1(shapeName(p.shape)), fromStd(p.shapeReason)));
    const bool chat = p.shape == Shape::Messages || p.shape == Shape::ShareGpt || p.shape == Shape::PromptCompletion
        || p.shape == Shape::Alpaca || p.shape == Shape::Preference;
    if (chat)
        cli::printLine(QStringLiteral("Template:   %1").arg(QString::fromLatin1(templateName(p.chatTemplate.kind))));
    for (const std::string &warning : p.warnings)
        cli::printLine(QStringLiteral("Warning:    %1").arg(fromStd(warning)));
    cli::printLine(QStringLiteral("Records:    %1 read, %2 bad records skipped").arg(p.records).arg(p.skippedRecords));
    for (const std::string &message : p.skippedMessages)
        cli::printLine(QStringLiteral("  skipped:  %1").arg(fromStd(message)));
    if (!p.tokenized)
        cli::printLine(QStringLiteral("Lengths:    in UTF-8 bytes (token counts need the model's tokenizer)"));
    cli::printLine(QStringLiteral("Length:     shortest %1, mean %2, longest %3 %4; %5 over the maximum of %6")
                       .arg(p.shortest)
                       .arg(p.meanLength, 0, 'f', 1)
                       .arg(p.longest)
                       .arg(unit)
                       .arg(p.overMaxLength)
                       .arg(config.maxLength));
    const bool pairs = p.shape == Shape::Preference;
    cli::printLine(QStringLiteral("Per epoch:  %1 %2, %3 of them trained, %4 %5%6")
                       .arg(p.tokensPerEpoch)
                       .arg(unit)
                       .arg(p.trainedTokensPerEpoch)
                       .arg(p.sequencesPerEpoch)
                       .arg(pairs ? QStringLiteral("pairs (2 sequences each)") : QStringLiteral("sequences"))
                       .arg(config.packing && !pairs ? QStringLiteral(" (packed)") : QString()));
    cli::printLine(QStringLiteral("Histogram (%1):").arg(unit));
    const std::size_t w = p.histogram.bucketWidth;
    for (std::size_t i = 0; i < p.histogram.counts.size(); ++i) {
        if (p.histogram.counts[i] == 0)
            continue;
        const QString range = i + 1 == p.histogram.counts.size()
            ? QStringLiteral(">= %1").arg(i * w)
            : QStringLiteral("%1-%2").arg(i * w).arg((i + 1) * w - 1);
        cli::printLine(QStringLiteral("  %1  %2").arg(range, 14).arg(p.histogram.counts[i]));
    }
}

void printExample(std::size_t index, const ExamplePreview &example, bool tokenized)
{
    cli::printLine(
        QStringLiteral("\nExample %1 (%2:%3, %4 %5%6%7%8):")
            .arg(index + 1)
            .arg(fromStd(example.source))
            .arg(example.line)
            .arg(example.length)
            .arg(tokenized ? QStringLiteral("tokens") : QStringLiteral("bytes"))
            .arg(example.truncated ? QStringLiteral(", truncated") : QString())
            .arg(example.label.empty() ? QString() : QStringLiteral(", label '%1'").arg(fromStd(example.label)))
            .arg(example.pairRole == PairRole::None
                    ? QString()
                    : QStringLiteral(", %1 answer").arg(QString::fromLatin1(pairRoleName(example.pairRole)))));
    std::string body;
    for (const SpanPreview &span : example.spans)
        body += span.trained ? span.text : kMaskOpen + span.text + kMaskClose;
    cli::printLine(fromStd(body));
}

bool applyOptions(const QCommandLineParser &parser, DatasetConfig &config, QString &error)
{
    if (parser.isSet(QStringLiteral("shape"))) {
        const auto shape = shapeFromName(parser.value(QStringLiteral("shape")).toStdString());
        if (!shape) {
            error = QStringLiteral("unknown shape '%1' (hint: text, prompt_completion, alpaca, messages, sharegpt, "
                                   "classification, preference)")
                        .arg(parser.value(QStringLiteral("shape")));
            return false;
        }
        config.shape = *shape;
    }
    if (parser.isSet(QStringLiteral("template"))) {
        const auto kind = templateFromName(parser.value(QStringLiteral("template")).toStdString());
        if (!kind) {
            error = QStringLiteral("unknown template '%1' (hint: chatml, llama3, llama2, mistral, zephyr, alpaca, raw, gemma, phi3)")
                        .arg(parser.value(QStringLiteral("template")));
            return false;
        }
        config.chatTemplate = *kind;
    }
    if (parser.isSet(QStringLiteral("max-length")))
        config.maxLength = parser.value(QStringLiteral("max-length")).toInt();
    config.packing = parser.isSet(QStringLiteral("packing"));
    config.skipBadRecords = parser.isSet(QStringLiteral("skip-bad"));
    if (parser.isSet(QStringLiteral("loss-on-all")))
        config.lossOn = LossOn::All;
    return true;
}

int runData(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Inspect a dataset: shape, template, statistics and rendered "
                                                    "examples (masked text between \u27E6 and \u27E7)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("inspect"), QStringLiteral("The sub-command (inspect)."));
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("Dataset file or folder."));
    parser.addOptions({
        { QStringLiteral("model"), QStringLiteral("Model folder: its tokenizer and chat template are used."),
            QStringLiteral("dir") },
        { QStringLiteral("shape"), QStringLiteral("Record shape instead of detecting it."), QStringLiteral("shape") },
        { QStringLiteral("template"), QStringLiteral("Chat template (default: the model's, else ChatML)."), QStringLiteral("name") },
        { QStringLiteral("max-length"), QStringLiteral("Maximum sequence length (default 1024)."),
            QStringLiteral("n") },
        { QStringLiteral("examples"), QStringLiteral("Rendered examples to show (default 2)."), QStringLiteral("n") },
        { QStringLiteral("packing"), QStringLiteral("Count sequences with packing.") },
        { QStringLiteral("skip-bad"), QStringLiteral("Skip malformed records (they are counted).") },
        { QStringLiteral("loss-on-all"), QStringLiteral("Train on all tokens, not only completions.") },
    });
    if (const std::optional<int> code = cli::parseArguments(parser, arguments))
        return *code;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 2 || positional[0] != QLatin1String("inspect"))
        return cli::fail(QStringLiteral("usage: lorafit-cli data inspect FILE [options] (hint: --help lists them)"));
    DatasetConfig config;
    config.trainPath = positional[1].toStdString();
    QString error;
    if (!applyOptions(parser, config, error))
        return cli::fail(error);
    const int examples
        = parser.isSet(QStringLiteral("examples")) ? parser.value(QStringLiteral("examples")).toInt() : 2;
    std::unique_ptr<engine::Tokenizer> tokenizer;
    std::optional<TemplateDetection> detection;
    if (parser.isSet(QStringLiteral("model"))) {
        const std::string model = parser.value(QStringLiteral("model")).toStdString();
        auto loaded = engine::loadTokenizer(model);
        if (!loaded.isOk())
            return cli::fail(fromStd(loaded.message()));
        tokenizer = std::move(loaded).value();
        auto detected = detectModelChatTemplate(model);
        if (!detected.isOk())
            return cli::fail(fromStd(detected.message()));
        detection = std::move(detected).value();
    }
    const auto preview
        = previewDataset(config, tokenizer.get(), detection ? &*detection : nullptr, examples);
    if (!preview.isOk())
        return cli::fail(fromStd(preview.message()));
    printSummary(positional[1], preview.value(), config);
    if (!preview->examples.empty())
        cli::printLine(QStringLiteral("\nMasked text (no loss) is shown between %1 and %2.")
                           .arg(QString::fromUtf8(kMaskOpen), QString::fromUtf8(kMaskClose)));
    for (std::size_t i = 0; i < preview->examples.size(); ++i)
        printExample(i, preview->examples[i], preview->tokenized);
    return cli::kExitOk;
}

const cli::CommandRegistration registration(
    { "data", "inspect a dataset: shape, template, statistics, examples", runData });

} // namespace

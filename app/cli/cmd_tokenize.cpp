// lorafit-cli tokenize: encode text with a model's tokenizer and print the ids
// as a JSON array, or decode ids (--decode) and print the text. Uses the
// engine's tokenizer exactly as training and generation do.
#include "app/cli/command.h"

#include "engine/core/atomicfile.h"
#include "engine/tokenizer/tokenizerloader.h"

#include <QCommandLineParser>

#include <cstdio>

namespace {

// Parses "[1, 2, 3]" or "1,2,3" into ids below vocabSize; returns false with a message on error.
bool parseIds(const QString &spec, std::size_t vocabSize, std::vector<engine::TokenId> &ids, QString &error)
{
    QString list = spec.trimmed();
    if (list.startsWith(QLatin1Char('[')) && list.endsWith(QLatin1Char(']')))
        list = list.mid(1, list.size() - 2);
    if (list.trimmed().isEmpty())
        return true;
    const QStringList parts = list.split(QLatin1Char(','));
    for (int i = 0; i < parts.size(); ++i) {
        bool ok = false;
        const qlonglong id = parts[i].trimmed().toLongLong(&ok);
        if (!ok || id < 0 || static_cast<unsigned long long>(id) >= vocabSize) {
            error = QStringLiteral("--decode: entry %1 ('%2') is not a token id below the vocabulary size %3 "
                                   "(hint: pass ids as a JSON array [1,2,3] or a comma list 1,2,3)")
                        .arg(i + 1).arg(parts[i].trimmed()).arg(vocabSize);
            return false;
        }
        ids.push_back(static_cast<engine::TokenId>(id));
    }
    return true;
}

void writeStdout(const std::string &bytes)
{
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

int decodeIds(const engine::Tokenizer &tokenizer, const QString &spec, bool skipSpecial)
{
    std::vector<engine::TokenId> ids;
    QString error;
    if (!parseIds(spec, tokenizer.vocabSize(), ids, error))
        return cli::fail(error);
    writeStdout(tokenizer.decode(ids, skipSpecial));
    return cli::kExitOk;
}

int encodeText(const engine::Tokenizer &tokenizer, const std::string &text, bool addSpecial)
{
    const engine::Result<std::vector<engine::TokenId>> ids =
        engine::guard([&] { return tokenizer.encode(text, addSpecial); });
    if (!ids)
        return cli::fail(QString::fromStdString(ids.message()));
    std::string json = "[";
    for (std::size_t i = 0; i < ids.value().size(); ++i)
        json += (i ? "," : "") + std::to_string(ids.value()[i]);
    writeStdout(json + "]");
    return cli::kExitOk;
}

int runTokenize(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Encode text to token ids (a JSON array), or decode ids to text."));
    parser.addHelpOption();
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("Model folder with tokenizer.json (or vocab.json + merges.txt)."), QStringLiteral("DIR"));
    const QCommandLineOption text(QStringLiteral("text"), QStringLiteral("Text to encode."), QStringLiteral("TEXT"));
    const QCommandLineOption file(QStringLiteral("file"), QStringLiteral("UTF-8 file to encode."), QStringLiteral("FILE"));
    const QCommandLineOption special(QStringLiteral("special"), QStringLiteral("Add the model's special tokens (e.g. BOS) as training does."));
    const QCommandLineOption decode(QStringLiteral("decode"), QStringLiteral("Ids to decode: [1,2,3] or 1,2,3."), QStringLiteral("IDS"));
    const QCommandLineOption skipSpecial(QStringLiteral("skip-special"), QStringLiteral("With --decode: leave out special tokens."));
    parser.addOptions({model, text, file, special, decode, skipSpecial});
    if (const std::optional<int> code = cli::parseArguments(parser, arguments))
        return *code;

    const int inputs = int(parser.isSet(text)) + int(parser.isSet(file)) + int(parser.isSet(decode));
    if (!parser.isSet(model) || inputs != 1) {
        std::fputs("lorafit-cli tokenize: give --model DIR and exactly one of --text, --file or --decode\n", stderr);
        return cli::kExitUsage;
    }
    auto tokenizer = engine::loadTokenizer(parser.value(model).toStdString());
    if (!tokenizer)
        return cli::fail(QString::fromStdString(tokenizer.message()));
    if (parser.isSet(decode))
        return decodeIds(*tokenizer.value(), parser.value(decode), parser.isSet(skipSpecial));
    if (parser.isSet(text))
        return encodeText(*tokenizer.value(), parser.value(text).toStdString(), parser.isSet(special));
    const engine::Result<std::string> bytes = engine::guard([&] { return engine::readFile(parser.value(file).toStdString()); });
    if (!bytes)
        return cli::fail(QString::fromStdString(bytes.message()));
    return encodeText(*tokenizer.value(), bytes.value(), parser.isSet(special));
}

const cli::CommandRegistration registration({"tokenize", "encode text to token ids, or decode ids (--decode)", runTokenize});

} // namespace

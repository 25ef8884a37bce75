// `lorafit-cli generate` and `lorafit-cli eval` as a user runs them, on tiny
// model folders; their output is compared with the inference facade's results
// in-process. Ctrl-C is sent as a real SIGINT (POSIX only).
#include "engine/core/atomicfile.h"
#include "engine/generate/inferencesession.h"
#include "tests/engine/generate/tinylm.h"
#include "tests/processrun.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#ifdef Q_OS_UNIX
#include <csignal>
#endif

namespace {

using Run = test::ProcessRun;

Run runCli(const QStringList &arguments)
{
    return test::runProcess(QStringLiteral(LF_CLI_EXE), arguments, 120000);
}

QString writeModel(const QTemporaryDir &dir, const std::string &modelType, const std::string &extra = "{}")
{
    tinylm::Folder folder;
    folder.modelType = modelType;
    folder.extraConfig = extra;
    const QString path = dir.filePath(QStringLiteral("model"));
    tinylm::writeFolder(path, folder);
    return path;
}

std::unique_ptr<engine::InferenceSession> openSession(const QString &dir)
{
    auto session = engine::InferenceSession::open(dir.toStdString());
    if (!session)
        qFatal("%s", session.message().c_str());
    return std::move(session).value();
}

QString writeText(const QTemporaryDir &dir, const QByteArray &text)
{
    const QString path = dir.filePath(QStringLiteral("text.txt"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

double printedNumber(const QString &out, const QString &label)
{
    const QRegularExpression pattern(label + QStringLiteral(":\\s+([0-9.]+)"));
    const QRegularExpressionMatch match = pattern.match(out);
    return match.hasMatch() ? match.captured(1).toDouble() : -1.0;
}

const char kLongContext[] = R"({"max_position_embeddings": 4096})";

} // namespace

class TestGenerateCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void greedyTextEqualsTheFacade()
    {
        QTemporaryDir dir;
        const QString model = writeModel(dir, "llama");
        engine::GenerationPrompt prompt;
        prompt.text = "Hi ";
        const auto expected = openSession(model)->generate(prompt, engine::greedyOptions(12));
        QVERIFY(expected.isOk());
        const Run r = runCli({ "generate", "--model", model, "--prompt", "Hi ", "--temperature", "0",
            "--max-new-tokens", "12" });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.bytes, QByteArray::fromStdString(expected.value().text) + '\n');
        QVERIFY2(r.err.contains(QStringLiteral("stop: %1").arg(engine::stopReasonName(expected.value().stopReason))),
                 qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("greedy")), qPrintable(r.err));
    }

    void chatStopStringAndSeed()
    {
        QTemporaryDir dir;
        const QString model = writeModel(dir, "llama");
        const QStringList common = { "generate", "--model", model, "--prompt", "Hi!", "--chat", "--max-new-tokens",
            "20", "--temperature", "1.0", "--top-k", "5", "--top-p", "0.9", "--repetition-penalty", "1.2" };
        const Run first = runCli(common + QStringList{ "--seed", "42" });
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QVERIFY2(first.err.contains(QLatin1String("seed 42")), qPrintable(first.err));
        QCOMPARE(runCli(common + QStringList{ "--seed", "42" }).bytes, first.bytes);
        // The same through the facade with the same options.
        engine::GenerationOptions options;
        options.maxNewTokens = 20;
        options.temperature = 1.0;
        options.topK = 5;
        options.topP = 0.9;
        options.repetitionPenalty = 1.2;
        options.seed = 42;
        engine::GenerationPrompt chat;
        chat.messages = { { "user", "Hi!", true } };
        const auto expected = openSession(model)->generate(chat, options);
        QVERIFY(expected.isOk());
        QCOMPARE(first.bytes, QByteArray::fromStdString(expected.value().text) + '\n');
        const QByteArray text = first.bytes.chopped(1);
        if (text.size() >= 6) {
            const QByteArray stop = text.mid(3, 2);
            const Run stopped = runCli(common + QStringList{ "--seed", "42", "--stop", QString::fromUtf8(stop) });
            QCOMPARE(stopped.exitCode, 0);
            QCOMPARE(stopped.bytes, text.left(text.indexOf(stop)) + '\n');
            QVERIFY2(stopped.err.contains(QLatin1String("stop: stop-string")), qPrintable(stopped.err));
        }
    }

    void badArgumentsAreExplained()
    {
        QTemporaryDir dir;
        const QString model = writeModel(dir, "gpt2");
        const Run topP = runCli({ "generate", "--model", model, "--prompt", "x", "--top-p", "2" });
        QCOMPARE(topP.exitCode, 2);
        QVERIFY2(topP.err.contains(QLatin1String("top-p is 2")), qPrintable(topP.err));
        const Run number = runCli({ "generate", "--model", model, "--prompt", "x", "--top-k", "many" });
        QCOMPARE(number.exitCode, 2);
        QVERIFY2(number.err.contains(QLatin1String("--top-k 'many'")), qPrintable(number.err));
        const Run noPrompt = runCli({ "generate", "--model", model });
        QCOMPARE(noPrompt.exitCode, 2);
        const Run noModel = runCli({ "generate", "--model", "/no/such/model", "--prompt", "x" });
        QCOMPARE(noModel.exitCode, 1);
        QVERIFY2(noModel.err.contains(QLatin1String("/no/such/model")), qPrintable(noModel.err));
        const Run window = runCli({ "eval", "--model", model, "--text", model + "/config.json", "--max-length", "1" });
        QCOMPARE(window.exitCode, 2);
        QVERIFY2(window.err.contains(QLatin1String("--max-length '1'")), qPrintable(window.err));
        const Run longWindow = runCli({ "eval", "--model", model, "--text", model + "/config.json", "--max-length", "99" });
        QCOMPARE(longWindow.exitCode, 1);
        QVERIFY2(longWindow.err.contains(QLatin1String("outside [2, 24]")), qPrintable(longWindow.err));
        const Run noText = runCli({ "eval", "--model", model, "--text", "/no/such/text.txt" });
        QCOMPARE(noText.exitCode, 1);
        QVERIFY2(noText.err.contains(QLatin1String("/no/such/text.txt")), qPrintable(noText.err));
    }

    void ctrlCCancelsCleanly()
    {
#ifndef Q_OS_UNIX
        QSKIP("SIGINT is POSIX");
#else
        QTemporaryDir dir;
        const QString model = writeModel(dir, "llama", kLongContext);
        QProcess process;
        process.start(QStringLiteral(LF_CLI_EXE), { "generate", "--model", model, "--prompt", "Hi", "--temperature",
            "0", "--max-new-tokens", "4000" });
        QVERIFY(process.waitForStarted());
        QByteArray out;
        QElapsedTimer timer;
        timer.start();
        while (out.size() < 5 && timer.elapsed() < 60000 && process.state() == QProcess::Running) {
            process.waitForReadyRead(1000);
            out += process.readAllStandardOutput();
        }
        QVERIFY2(out.size() >= 5, out.constData());
        QCOMPARE(process.state(), QProcess::Running);
        ::kill(static_cast<pid_t>(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(30000));
        out += process.readAllStandardOutput();
        const QString err = QString::fromUtf8(process.readAllStandardError());
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 130);
        QVERIFY2(err.contains(QLatin1String("stop: cancelled")), qPrintable(err));
        QVERIFY(out.size() < 4000);
#endif
    }

    void evalPrintsLossAndWritesTheTable()
    {
        QTemporaryDir dir;
        const QString model = writeModel(dir, "gpt2");
        const QByteArray text = "Line one\nand\\two";
        const QString textPath = writeText(dir, text);
        const QString tsv = dir.filePath(QStringLiteral("out/losses.tsv"));
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("out"))));
        const auto expected = openSession(model)->evaluate(text.toStdString());
        QVERIFY(expected.isOk());
        const Run r = runCli({ "eval", "--model", model, "--text", textPath, "--token-losses", tsv });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString out = r.out;
        QVERIFY2(out.contains(QLatin1String("Tokens:      16 (15 predicted, 1 window(s) of up to 24 tokens)")),
                 qPrintable(out));
        QVERIFY(std::abs(printedNumber(out, QStringLiteral("Mean loss")) - expected.value().meanLoss) < 1e-6);
        QVERIFY(std::abs(printedNumber(out, QStringLiteral("Perplexity")) - expected.value().perplexity)
                < 1e-4 * expected.value().perplexity);
        QFile file(tsv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().split('\n');
        QCOMPARE(lines.size(), qsizetype(1 + 15 + 1)); // header, rows, the empty string after the last newline
        QCOMPARE(lines[0], QByteArray("position\ttoken_id\ttoken\tloss"));
        for (int i = 0; i < 15; ++i) {
            const QList<QByteArray> cells = lines[i + 1].split('\t');
            QCOMPARE(cells.size(), qsizetype(4));
            const engine::TokenLoss &token = expected.value().tokens[std::size_t(i)];
            QCOMPARE(std::int64_t(cells[0].toLongLong()), token.position);
            QCOMPARE(cells[1].toInt(), token.id);
            QVERIFY(std::abs(cells[3].toDouble() - token.loss) <= 1e-8 * std::max(1.0, token.loss));
        }
        QCOMPARE(lines[8].split('\t')[2], QByteArray("\\n")); // position 8: the newline, escaped
        QCOMPARE(lines[12].split('\t')[2], QByteArray("\\\\")); // position 12: the backslash
        QCOMPARE(lines[1].split('\t')[2], QByteArray("i"));
    }

    void adapterOptionUsesTheAdapter()
    {
        QTemporaryDir dir;
        const QString model = writeModel(dir, "llama");
        const QString adapter = dir.filePath(QStringLiteral("adapter"));
        const std::string config = engine::readFile(model.toStdString() + "/config.json");
        tinylm::writeAdapter(model, adapter, { "q_proj", "v_proj" }, 9, tiny::randomWeights(config, 1));
        const auto session = openSession(model);
        QVERIFY(session->setAdapter(adapter.toStdString()).isOk());
        engine::GenerationPrompt prompt;
        prompt.text = "Hi ";
        const auto expected = session->generate(prompt, engine::greedyOptions(10));
        QVERIFY(expected.isOk());
        const Run generated = runCli({ "generate", "--model", model, "--adapter", adapter, "--prompt", "Hi ",
            "--temperature", "0", "--max-new-tokens", "10" });
        QVERIFY2(generated.exitCode == 0, qPrintable(generated.err));
        QCOMPARE(generated.bytes, QByteArray::fromStdString(expected.value().text) + '\n');
        const QString textPath = writeText(dir, "Adapters change predictions.");
        const auto evaluation = session->evaluate("Adapters change predictions.");
        QVERIFY(evaluation.isOk());
        const Run evaluated = runCli({ "eval", "--model", model, "--adapter", adapter, "--text", textPath });
        QVERIFY2(evaluated.exitCode == 0, qPrintable(evaluated.err));
        QVERIFY(std::abs(printedNumber(evaluated.out, QStringLiteral("Mean loss"))
                         - evaluation.value().meanLoss) < 1e-6);
        const Run bad = runCli({ "eval", "--model", model, "--adapter", dir.filePath("none"), "--text", textPath });
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains(dir.filePath("none")), qPrintable(bad.err));
    }

    void evalSplitsLongTextsAndNeverWritesHalfAFile()
    {
        QTemporaryDir dir;
        const QString model = writeModel(dir, "gpt2");
        const QString textPath = writeText(dir, "Windows overlap by one token.");
        const Run r = runCli({ "eval", "--model", model, "--text", textPath, "--max-length", "8" });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QLatin1String("Tokens:      29 (28 predicted, 4 window(s) of up to 8 tokens)")), qPrintable(r.out));
        const QString badTsv = dir.filePath(QStringLiteral("missing-folder/losses.tsv"));
        const Run bad = runCli({ "eval", "--model", model, "--text", textPath, "--token-losses", badTsv });
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains(QLatin1String("missing-folder")), qPrintable(bad.err));
        QVERIFY(!QFile::exists(badTsv));
    }
};

QTEST_GUILESS_MAIN(TestGenerateCli)
#include "test_generatecli.moc"

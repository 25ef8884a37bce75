// lorafit-cli pretrain end to end on a tiny generated corpus: the loss falls,
// the folder is complete and loads with loadCausalLm/loadTokenizer, and the
// validation loss recomputed here from the loaded folder (one window at a
// time, log_softmax + gather, independent of the engine's batching and loss)
// equals the reported one within 1e-4 relative. Also: PretrainCorpus windows
// and split, and the errors for an existing folder and bad sizes.
#include "engine/model/causallm.h"
#include "engine/pretrain/pretraincorpus.h"
#include "engine/tokenizer/tokenizerloader.h"
#include "tests/processrun.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace {

// Paragraphs of simple patterned sentences, deterministic.
QByteArray tinyCorpus()
{
    const char *subjects[] = { "the cat", "a dog", "the bird", "my friend", "the king" };
    const char *verbs[] = { "sees", "likes", "finds", "follows" };
    const char *objects[] = { "the river", "a small house", "the green field", "an old tree", "the market" };
    QByteArray text;
    for (int p = 0; p < 60; ++p) {
        for (int s = 0; s < 4; ++s) {
            const int k = p * 4 + s;
            text += QByteArray(subjects[k % 5]) + ' ' + verbs[(k / 5) % 4] + ' ' + objects[(k * 3) % 5] + ". ";
        }
        text += "\n\n";
    }
    return text;
}

test::ProcessRun runCli(const QStringList &arguments)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("LORAFIT_THREADS"), QStringLiteral("2"));
    return test::runProcess(QStringLiteral(LF_CLI_EXE), QStringList { QStringLiteral("pretrain") } + arguments, 240000, env);
}

// Mean next-token loss over the stream cut into windows of `context` tokens
// that overlap by one token, computed window by window.
double referenceLoss(const engine::CausalLm &model, const std::vector<engine::TokenId> &stream, std::int64_t context)
{
    torch::NoGradGuard noGrad;
    double sum = 0.0;
    std::int64_t count = 0;
    for (std::size_t begin = 0; begin + 1 < stream.size(); begin += static_cast<std::size_t>(context - 1)) {
        const std::size_t end = std::min(stream.size(), begin + static_cast<std::size_t>(context));
        std::vector<std::int64_t> window(
            stream.begin() + static_cast<std::ptrdiff_t>(begin), stream.begin() + static_cast<std::ptrdiff_t>(end));
        const torch::Tensor ids = torch::tensor(window).unsqueeze(0); // (1, T)
        const torch::Tensor logProbs = torch::log_softmax(model.forward(ids)[0].to(torch::kDouble), -1); // (T, V)
        for (std::size_t t = 0; t + 1 < window.size(); ++t) {
            sum -= logProbs[static_cast<std::int64_t>(t)][window[t + 1]].item<double>();
            ++count;
        }
    }
    return sum / static_cast<double>(count);
}

} // namespace

class TestPretrain : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void windowsCoverEveryTargetOnce()
    {
        QCOMPARE(engine::PretrainCorpus::windowCount(1, 4), std::int64_t(0));
        QCOMPARE(engine::PretrainCorpus::windowCount(4, 4), std::int64_t(1));
        QCOMPARE(engine::PretrainCorpus::windowCount(5, 4), std::int64_t(2));
        const std::vector<engine::TokenId> stream = { 10, 11, 12, 13, 14, 15 };
        const engine::data::Batch batch = engine::PretrainCorpus::batchOf(stream, { 0, 1 }, 4, 99);
        QCOMPARE(batch.inputIds, (std::vector<engine::TokenId> { 10, 11, 12, 13, 13, 14, 15, 99 }));
        QCOMPARE(batch.labels, (std::vector<engine::TokenId> { 10, 11, 12, 13, 13, 14, 15, -100 }));
        QCOMPARE(batch.trainedTokens, std::int64_t(5)); // 11..15, each once
    }

    void splitsWholeDocuments()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath(QStringLiteral("c.txt")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("one\n\ntwo\n\nthree\n\nfour\n\nfive\n\nsix\n\nseven\n\neight\n\nnine\n\nten\n");
        file.close();
        const auto corpus = engine::PretrainCorpus::read({ file.fileName().toStdString() }, 0.2, 5);
        QCOMPARE(corpus.validationDocuments().size(), std::size_t(2));
        QCOMPARE(corpus.trainDocuments().size(), std::size_t(8));
        const auto again = engine::PretrainCorpus::read({ file.fileName().toStdString() }, 0.2, 5);
        QCOMPARE(again.validationDocuments(), corpus.validationDocuments());

        QFile single(dir.filePath(QStringLiteral("one.txt")));
        QVERIFY(single.open(QIODevice::WriteOnly));
        single.write("just one paragraph\n");
        single.close();
        QVERIFY_THROWS_EXCEPTION(
            engine::Error, engine::PretrainCorpus::read({ single.fileName().toStdString() }, 0.1, 1));
    }

    void cliTrainsWritesAndReloads()
    {
        QTemporaryDir dir;
        QDir(dir.path()).mkdir(QStringLiteral("corpus"));
        QFile file(dir.filePath(QStringLiteral("corpus/tiny.txt")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(tinyCorpus());
        file.close();
        const QString out = dir.filePath(QStringLiteral("model"));
        const QStringList arguments = { QStringLiteral("--corpus"), dir.filePath(QStringLiteral("corpus")),
            QStringLiteral("--out"), out, QStringLiteral("--vocab"), QStringLiteral("320"), QStringLiteral("--layers"),
            QStringLiteral("2"), QStringLiteral("--hidden"), QStringLiteral("32"), QStringLiteral("--heads"),
            QStringLiteral("2"), QStringLiteral("--kv-heads"), QStringLiteral("1"), QStringLiteral("--context"),
            QStringLiteral("32"), QStringLiteral("--steps"), QStringLiteral("40"), QStringLiteral("--batch"),
            QStringLiteral("8"), QStringLiteral("--lr"), QStringLiteral("0.01"), QStringLiteral("--seed"),
            QStringLiteral("3"), QStringLiteral("--validation-fraction"), QStringLiteral("0.1") };
        const test::ProcessRun run = runCli(arguments);
        QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));

        // The loss fell, and the report agrees with stdout.
        QFile reportFile(out + QStringLiteral("/lorafit_pretrain.json"));
        QVERIFY(reportFile.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(reportFile.readAll()).object();
        QCOMPARE(report.value(QStringLiteral("steps")).toInt(), 40);
        QVERIFY(report.value(QStringLiteral("final_loss")).toDouble()
            < report.value(QStringLiteral("first_loss")).toDouble() - 1.0);
        const double reported = report.value(QStringLiteral("validation_loss")).toDouble();
        QVERIFY(reported < report.value(QStringLiteral("initial_validation_loss")).toDouble() - 1.0);
        const QRegularExpressionMatch printed
            = QRegularExpression(QStringLiteral("Validation loss ([0-9.]+) \\(perplexity ([0-9.]+)")).match(run.out);
        QVERIFY2(printed.hasMatch(), qPrintable(run.out));
        QVERIFY(std::abs(printed.captured(1).toDouble() - reported) < 1e-6);
        QVERIFY(std::abs(printed.captured(2).toDouble() - std::exp(reported)) < 0.01);

        // The folder is complete and loads.
        for (const char *name :
            { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
            QVERIFY2(QFile::exists(out + QLatin1Char('/') + QLatin1String(name)), name);
        const engine::CausalLm model = engine::loadCausalLm(out.toStdString());
        QCOMPARE(model.config().modelType, std::string("llama"));
        QVERIFY(model.config().tieWordEmbeddings);
        QCOMPARE(model.config().numKvHeads, std::int64_t(1));
        QVERIFY(model.unusedTensors().empty());
        auto tokenizer = engine::loadTokenizer(out.toStdString());
        QVERIFY2(tokenizer, tokenizer.message().c_str());
        QCOMPARE(static_cast<std::int64_t>(tokenizer.value()->vocabSize()), model.config().vocabSize);
        QCOMPARE(tokenizer.value()->specialTokens().eos.value_or(-1), engine::TokenId(0));
        QVERIFY(std::find(tokenizer.value()->specialTokens().stopIds.begin(),
                    tokenizer.value()->specialTokens().stopIds.end(), 2)
            != tokenizer.value()->specialTokens().stopIds.end());

        // The validation loss of the loaded weights, recomputed independently.
        auto corpus = engine::PretrainCorpus::read({ dir.filePath(QStringLiteral("corpus")).toStdString() }, 0.1, 3);
        corpus.tokenize(*tokenizer.value(), 0);
        const double recomputed = referenceLoss(model, corpus.validationTokens(), 32);
        QVERIFY2(std::abs(recomputed - reported) <= 1e-4 * reported,
            qPrintable(
                QStringLiteral("reported %1, recomputed %2").arg(reported, 0, 'g', 10).arg(recomputed, 0, 'g', 10)));

        // An existing folder is refused before any work; --overwrite replaces it.
        const test::ProcessRun again = runCli(arguments);
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.err.contains(QStringLiteral("already exists")), qPrintable(again.err));
    }

    void refusesBadSizes()
    {
        const test::ProcessRun run = runCli(
            { QStringLiteral("--corpus"), QStringLiteral("x.txt"), QStringLiteral("--out"), QStringLiteral("y"),
                QStringLiteral("--hidden"), QStringLiteral("30"), QStringLiteral("--heads"), QStringLiteral("4") });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("--hidden 30 does not divide by --heads 4")), qPrintable(run.err));
        const test::ProcessRun missing = runCli({ QStringLiteral("--corpus"), QStringLiteral("/nonexistent/c.txt"),
            QStringLiteral("--out"), QStringLiteral("/nonexistent/out") });
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains(QStringLiteral("/nonexistent/c.txt")), qPrintable(missing.err));
    }
};

QTEST_GUILESS_MAIN(TestPretrain)
#include "test_pretrain.moc"

// BpeTrainer: the first merges of a tiny corpus worked out by hand, the
// vocabulary layout, round trips through the loader, option errors, and
// parity of the written tokenizer.json with Hugging Face tokenizers (npm
// `tokenizers`, pinned in tests/fixtures): identical ids and decoded text.
#include "engine/tokenizer/bpetrainer.h"
#include "engine/tokenizer/tokenizerloader.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString kFixtures = QStringLiteral(LF_TOKENIZER_FIXTURES);

std::string readText(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll().toStdString();
}

engine::TrainedBpe trainOn(const std::string &text, std::size_t vocabSize)
{
    engine::BpeTrainerOptions options;
    options.vocabSize = vocabSize;
    engine::BpeTrainer trainer(options);
    trainer.addText(text);
    std::optional<engine::TrainedBpe> bpe = trainer.train();
    if (!bpe)
        qFatal("training was cancelled without a callback");
    return *bpe;
}

std::unique_ptr<engine::Tokenizer> load(const engine::TrainedBpe &bpe)
{
    engine::Result<std::unique_ptr<engine::Tokenizer>> tokenizer = engine::loadTokenizerFromJson(bpe.toTokenizerJson());
    if (!tokenizer)
        qFatal("%s", tokenizer.message().c_str());
    return std::move(tokenizer.value());
}

// Texts for round trips and parity: the committed tokenizer corpus plus special tokens.
QStringList parityTexts()
{
    QStringList texts = QString::fromStdString(readText(QStringLiteral(LF_TEST_DATA_DIR "/tokenizer/corpus.txt")))
                            .split(QLatin1Char('\n'));
    texts << QStringLiteral("<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n")
          << QStringLiteral("end of one<|endoftext|>start of two") << QStringLiteral("<|im_end|><|im_end|>  x")
          << QStringLiteral("lower lowest newer   \n\n\tnewest") << QString();
    return texts;
}

} // namespace

class TestBpeTrainer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Words: "low" 1, " low" 2, " lower" 1, " lowest" 1, " newer" 2. Pair counts:
    // (l,o) 5 = (o,w) 5 -> the lower ids win: "l o"; then (lo,w) 5; then (Ġ,low) 4;
    // then (e,r) 3; then the 2s (Ġ,n) (n,e) (e,w) (w,er): Ġ has the lowest id.
    void firstMergesByHand()
    {
        const engine::TrainedBpe bpe = trainOn("low low low lower lowest newer newer", 300);
        QVERIFY(bpe.merges.size() >= 5);
        const std::vector<std::pair<std::string, std::string>> expected
            = { { "l", "o" }, { "lo", "w" }, { "\xC4\xA0", "low" }, { "e", "r" }, { "\xC4\xA0", "n" } };
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(bpe.merges[i].first, expected[i].first);
            QCOMPARE(bpe.merges[i].second, expected[i].second);
        }
        // Layout: special tokens, then the 256 bytes in byte order, then merges.
        QCOMPARE(bpe.vocab[0], std::string("<|endoftext|>"));
        QCOMPARE(bpe.vocab[2], std::string("<|im_end|>"));
        QCOMPARE(bpe.vocab[3 + 'a'], std::string("a"));
        QCOMPARE(bpe.vocab[3 + ' '], std::string("\xC4\xA0"));
        QCOMPARE(bpe.vocab[259], std::string("lo"));
        // minFrequency 2: pairs seen once are never merged, so the vocabulary stops short.
        QVERIFY(bpe.vocab.size() < 300);

        const auto tokenizer = load(bpe);
        const std::vector<engine::TokenId> ids = tokenizer->encode(" lower");
        QCOMPARE(ids.size(), std::size_t(2)); // "Ġlow" "er"
        QCOMPARE(tokenizer->idToToken(ids[0]), std::string("\xC4\xA0low"));
    }

    void roundTripsAndCompresses()
    {
        const std::string corpus = readText(QStringLiteral(LF_TEST_DATA_DIR "/tokenizer/corpus.txt"));
        QVERIFY(!corpus.empty());
        const engine::TrainedBpe bpe = trainOn(corpus, 600);
        const auto tokenizer = load(bpe);
        QCOMPARE(tokenizer->vocabSize(), bpe.vocab.size());
        for (const QString &text : parityTexts()) {
            const std::string utf8 = text.toStdString();
            QCOMPARE(tokenizer->decode(tokenizer->encode(utf8)), utf8);
        }
        const std::vector<engine::TokenId> all = tokenizer->encode(corpus);
        qInfo("%zu bytes -> %zu tokens", corpus.size(), all.size());
        QVERIFY2(all.size() * 4 < corpus.size() * 3, "the merges should save at least a quarter of the tokens");
        const std::vector<engine::TokenId> chat = tokenizer->encode("<|im_start|>user<|im_end|>");
        QCOMPARE(chat.front(), engine::TokenId(1));
        QCOMPARE(chat.back(), engine::TokenId(2));
        QVERIFY(tokenizer->isSpecial(0));
    }

    void specialTokenTextIsNotCounted()
    {
        const engine::TrainedBpe bpe = trainOn("<|endoftext|><|endoftext|><|endoftext|>", 400);
        QVERIFY2(bpe.merges.empty(), "the special token text must be cut out before counting pairs");
    }

    void rejectsBadOptions()
    {
        engine::BpeTrainerOptions options;
        options.vocabSize = 100;
        QVERIFY(!options.validate());
        QVERIFY(QString::fromStdString(options.validate().message()).contains(QStringLiteral("256 byte tokens")));
        options.vocabSize = 1000;
        options.specialTokens = { "<a>", "<a>" };
        QVERIFY(!options.validate());
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::BpeTrainer { options });
        engine::BpeTrainer trainer({});
        QVERIFY_THROWS_EXCEPTION(engine::Error, trainer.addText("bad \xFF utf8"));
    }

    void cancels()
    {
        engine::BpeTrainerOptions options;
        options.vocabSize = 2000;
        engine::BpeTrainer trainer(options);
        trainer.addText(readText(QStringLiteral(LF_TEST_DATA_DIR "/tokenizer/corpus.txt")));
        QVERIFY(!trainer.train([](std::size_t, std::size_t) { return false; }).has_value());
    }

    void matchesHuggingFaceTokenizers()
    {
        if (QFile::exists(kFixtures + QStringLiteral("/SKIPPED")))
            QSKIP("npm fixtures unavailable (see SKIPPED in the fixture folder)");
        const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
        if (node.isEmpty())
            QSKIP("node is not installed");
        const std::string corpus = readText(QStringLiteral(LF_TEST_DATA_DIR "/tokenizer/corpus.txt"));
        const engine::TrainedBpe bpe = trainOn(corpus + corpus.substr(0, 700), 700);
        QTemporaryDir dir;
        const QString tokenizerPath = dir.filePath(QStringLiteral("tokenizer.json"));
        const QString textsPath = dir.filePath(QStringLiteral("texts.json"));
        const QString outPath = dir.filePath(QStringLiteral("out.json"));
        QFile tokenizerFile(tokenizerPath);
        QVERIFY(tokenizerFile.open(QIODevice::WriteOnly));
        tokenizerFile.write(QByteArray::fromStdString(bpe.toTokenizerJson()));
        tokenizerFile.close();
        const QStringList texts = parityTexts();
        QFile textsFile(textsPath);
        QVERIFY(textsFile.open(QIODevice::WriteOnly));
        textsFile.write(QJsonDocument(QJsonArray::fromStringList(texts)).toJson());
        textsFile.close();

        QProcess process;
        process.start(node,
            { QStringLiteral(LF_SOURCE_DIR "/tests/fixtures/encode_with_tokenizers.mjs"),
                kFixtures + QStringLiteral("/npm/node_modules"), tokenizerPath, textsPath, outPath });
        QVERIFY(process.waitForFinished(60000));
        QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
        QFile outFile(outPath);
        QVERIFY(outFile.open(QIODevice::ReadOnly));
        const QJsonArray expected = QJsonDocument::fromJson(outFile.readAll()).array();
        QCOMPARE(expected.size(), texts.size());

        const auto tokenizer = load(bpe);
        for (int i = 0; i < texts.size(); ++i) {
            const QJsonObject reference = expected[i].toObject();
            std::vector<engine::TokenId> want;
            for (const QJsonValue &id : reference.value(QStringLiteral("ids")).toArray())
                want.push_back(id.toInt());
            const std::vector<engine::TokenId> got = tokenizer->encode(texts[i].toStdString());
            QVERIFY2(got == want, qPrintable(QStringLiteral("ids differ for text %1: '%2'").arg(i).arg(texts[i])));
            QCOMPARE(
                QString::fromStdString(tokenizer->decode(got)), reference.value(QStringLiteral("decoded")).toString());
        }
    }
};

QTEST_GUILESS_MAIN(TestBpeTrainer)
#include "test_bpetrainer.moc"

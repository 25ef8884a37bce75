// Parity with Hugging Face tokenizers (npm `tokenizers`, pinned in
// tests/fixtures/package-lock.json): for every case of the committed corpus and
// every real tokenizer (GPT-2 as tokenizer.json and as vocab.json + merges.txt,
// Llama-3, Qwen3, and a SentencePiece-style BPE with byte_fallback), the ids,
// the ids with special tokens, and the decoded text must be identical.
#include "engine/tokenizer/tokenizerloader.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <atomic>
#include <thread>

namespace {

const QString kFixtures = QStringLiteral(LF_TOKENIZER_FIXTURES);

std::vector<engine::TokenId> idsOf(const QJsonValue &value)
{
    std::vector<engine::TokenId> ids;
    for (const QJsonValue &id : value.toArray())
        ids.push_back(id.toInt());
    return ids;
}

QString show(const std::vector<engine::TokenId> &ids)
{
    QStringList parts;
    for (const engine::TokenId id : ids)
        parts << QString::number(id);
    return QLatin1Char('[') + parts.join(QLatin1Char(',')) + QLatin1Char(']');
}

} // namespace

class TestTokenizerParity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QFile skipped(kFixtures + QStringLiteral("/SKIPPED"));
        if (skipped.open(QIODevice::ReadOnly))
            QSKIP(qPrintable(QStringLiteral("npm fixtures unavailable: ") + QString::fromUtf8(skipped.readAll()).trimmed()));
    }

    void matchesReference_data()
    {
        QTest::addColumn<QString>("name");
        for (const char *name : {"gpt2-json", "gpt2-files", "llama3", "qwen3", "llama2"})
            QTest::newRow(name) << QString::fromLatin1(name);
    }

    void matchesReference()
    {
        QFETCH(QString, name);
        QFile file(kFixtures + QStringLiteral("/expected_%1.json").arg(name));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName() + QStringLiteral(" is missing (run ctest, which runs tokenizer_fixtures)")));
        const QJsonArray cases = QJsonDocument::fromJson(file.readAll()).array();
        QVERIFY(cases.size() > 30);

        auto loaded = engine::loadTokenizer((kFixtures + QStringLiteral("/models/") + name).toStdString());
        QVERIFY2(loaded.isOk(), loaded.message().c_str());
        const engine::Tokenizer &tokenizer = *loaded.value();

        int failures = 0;
        for (const QJsonValue &value : cases) {
            const QJsonObject c = value.toObject();
            const std::string text = c[QStringLiteral("text")].toString().toStdString();
            const auto ids = tokenizer.encode(text, false);
            const auto idsSpecial = tokenizer.encode(text, true);
            const QString decoded = QString::fromStdString(tokenizer.decode(idsSpecial, false));
            const QString decodedSkip = QString::fromStdString(tokenizer.decode(idsSpecial, true));
            const bool ok = ids == idsOf(c[QStringLiteral("ids")]) && idsSpecial == idsOf(c[QStringLiteral("idsSpecial")])
                && decoded == c[QStringLiteral("decoded")].toString() && decodedSkip == c[QStringLiteral("decodedSkip")].toString();
            if (ok)
                continue;
            if (++failures <= 5)
                qWarning().noquote() << "mismatch for" << QString::fromStdString(text).left(80) << "\n  ours:" << show(ids)
                                     << "\n  HF:  " << show(idsOf(c[QStringLiteral("ids")])) << "\n  ours special:"
                                     << show(idsSpecial) << "\n  HF special:  " << show(idsOf(c[QStringLiteral("idsSpecial")]))
                                     << "\n  decoded ours:" << decoded << "\n  decoded HF:  " << c[QStringLiteral("decoded")].toString()
                                     << "\n  skip ours:" << decodedSkip << "\n  skip HF:  " << c[QStringLiteral("decodedSkip")].toString();
        }
        QCOMPARE(failures, 0);
    }

    // The same tokenizer used from several threads at once (shared word cache)
    // gives the reference ids in every thread.
    void concurrentEncode()
    {
        QFile file(kFixtures + QStringLiteral("/expected_qwen3.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonArray cases = QJsonDocument::fromJson(file.readAll()).array();
        auto loaded = engine::loadTokenizer((kFixtures + QStringLiteral("/models/qwen3")).toStdString());
        QVERIFY2(loaded.isOk(), loaded.message().c_str());
        const engine::Tokenizer &tokenizer = *loaded.value();
        std::atomic<int> mismatches{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                for (int round = 0; round < 5; ++round)
                    for (const QJsonValue &value : cases) {
                        const QJsonObject c = value.toObject();
                        if (tokenizer.encode(c[QStringLiteral("text")].toString().toStdString()) != idsOf(c[QStringLiteral("ids")]))
                            ++mismatches;
                    }
            });
        for (std::thread &thread : threads)
            thread.join();
        QCOMPARE(mismatches.load(), 0);
    }
};

QTEST_GUILESS_MAIN(TestTokenizerParity)
#include "test_tokenizer_parity.moc"

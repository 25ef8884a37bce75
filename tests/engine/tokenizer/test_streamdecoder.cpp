// StreamDecoder: fed one id at a time it must only return complete UTF-8, and
// the pieces must add up to the full decode. Checked on a tiny byte-level
// tokenizer where "é" is two tokens, and on every corpus case of the real
// tokenizers from the npm fixtures (byte-level, byte fallback + Strip decoder).
#include "engine/tokenizer/streamdecoder.h"
#include "engine/tokenizer/tokenizerloader.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

namespace {

const QString kFixtures = QStringLiteral(LF_TOKENIZER_FIXTURES);

// Byte-level: U+00C3 "Ã" is byte 0xC3 and U+00A9 "©" is byte 0xA9, so é = [1, 2].
const char *const kByteLevelJson = "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"\xC3\x83\":1,\"\xC2\xA9\":2},\"merges\":[]},"
                                   "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false},"
                                   "\"decoder\":{\"type\":\"ByteLevel\"}}";

bool isValidUtf8(const std::string &text)
{
    const QByteArray bytes = QByteArray::fromStdString(text);
    return QString::fromUtf8(bytes).toUtf8() == bytes;
}

} // namespace

class TestStreamDecoder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void holdsBackSplitCharacter();
    void finishFlushesIncompleteCharacter();
    void realTokenizers_data();
    void realTokenizers();
};

void TestStreamDecoder::holdsBackSplitCharacter()
{
    auto loaded = engine::loadTokenizerFromJson(kByteLevelJson);
    QVERIFY2(loaded, loaded.message().c_str());
    const engine::Tokenizer &tokenizer = *loaded.value();
    QCOMPARE(tokenizer.encode("a\xC3\xA9" "a"), (std::vector<engine::TokenId>{0, 1, 2, 0}));
    engine::StreamDecoder stream(tokenizer);
    QCOMPARE(stream.push(0), std::string("a"));
    QCOMPARE(stream.push(1), std::string()); // first byte of é: held back
    QCOMPARE(stream.push(2), std::string("\xC3\xA9"));
    QCOMPARE(stream.push(0), std::string("a"));
    QCOMPARE(stream.finish(), std::string());
}

void TestStreamDecoder::finishFlushesIncompleteCharacter()
{
    auto loaded = engine::loadTokenizerFromJson(kByteLevelJson);
    QVERIFY2(loaded, loaded.message().c_str());
    engine::StreamDecoder stream(*loaded.value());
    QCOMPARE(stream.push(0), std::string("a"));
    QCOMPARE(stream.push(1), std::string());
    QCOMPARE(stream.finish(), std::string("\xEF\xBF\xBD"));
    QCOMPARE(stream.push(0), std::string("a")); // usable again after finish()
}

void TestStreamDecoder::realTokenizers_data()
{
    QTest::addColumn<QString>("name");
    for (const char *name : {"gpt2-json", "llama3", "qwen3", "llama2"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

void TestStreamDecoder::realTokenizers()
{
    if (QFile::exists(kFixtures + QStringLiteral("/SKIPPED")))
        QSKIP("npm fixtures unavailable (see tokenizer_fixtures)");
    QFETCH(QString, name);
    QFile file(kFixtures + QStringLiteral("/expected_%1.json").arg(name));
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    auto loaded = engine::loadTokenizer((kFixtures + QStringLiteral("/models/") + name).toStdString());
    QVERIFY2(loaded, loaded.message().c_str());
    const engine::Tokenizer &tokenizer = *loaded.value();
    for (const QJsonValue &value : QJsonDocument::fromJson(file.readAll()).array()) {
        const std::string text = value.toObject()[QStringLiteral("text")].toString().toStdString();
        for (const bool skipSpecial : {false, true}) {
            const auto ids = tokenizer.encode(text, true);
            engine::StreamDecoder stream(tokenizer, skipSpecial);
            std::string streamed;
            for (const engine::TokenId id : ids) {
                const std::string piece = stream.push(id);
                QVERIFY2(isValidUtf8(piece), text.c_str());
                streamed += piece;
            }
            streamed += stream.finish();
            QCOMPARE(QString::fromStdString(streamed), QString::fromStdString(tokenizer.decode(ids, skipSpecial)));
        }
    }
}

QTEST_GUILESS_MAIN(TestStreamDecoder)
#include "test_streamdecoder.moc"

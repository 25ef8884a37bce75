// Unit tests of the tokenizer on tiny tokenizer.json files written here, with
// the expected ids worked out by hand from the BPE rules: merge priority,
// byte fallback, added-token lstrip/rstrip/single_word, normalizers,
// Metaspace, post-processor and tokenizer_config roles, and every kind of bad
// input with the message it must produce.
#include "engine/tokenizer/tokenizerloader.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/utf8.h"
#include "engine/tokenizer/wordcache.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <string>

#include <utf8proc.h>

namespace {

using Ids = std::vector<engine::TokenId>;

// A tokenizer.json with a BPE model; `model` and `rest` are JSON fragments.
std::string tokenizerJson(const std::string &model, const std::string &rest = "")
{
    return R"({"version":"1.0",)" + rest + (rest.empty() ? "" : ",") + R"("model":{"type":"BPE",)" + model + "}}";
}

std::unique_ptr<engine::Tokenizer> load(const std::string &json)
{
    auto result = engine::loadTokenizerFromJson(json, "test.json");
    if (!result)
        qFatal("%s", result.message().c_str());
    return std::move(result).value();
}

QString loadError(const std::string &json)
{
    auto result = engine::loadTokenizerFromJson(json, "test.json");
    return result ? QString() : QString::fromStdString(result.message());
}

const std::string kAbcVocab = R"("vocab":{"a":0,"b":1,"c":2,"ab":3,"bc":4,"aa":5," ":6,"?":7})";

void writeFile(const QString &path, const std::string &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes.data(), static_cast<qint64>(bytes.size()));
}

} // namespace

// Test bodies are defined outside the class: Qt 6.4's moc cannot parse the
// raw string literals they use.
class TestTokenizer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void mergeRankDecides();
    void ignoreMergesTakesWholeWord();
    void unknownCharacters();
    void byteFallback();
    void addedTokenStripping_data();
    void addedTokenStripping();
    void parseSpecialFalseKeepsText();
    void leftmostLongestAddedTokens();
    void normalizers();
    void nfcQuickCheck();
    void wordCache();
    void piecesAtWordMarks();
    void metaspacePrependScheme();
    void templateAddsBos();
    void folderWithConfigs();
    void gpt2Files();
    void badInput_data();
    void badInput();
    void invalidUtf8NamesOffset();
    void missingFilesAndBadConfig();
};

void TestTokenizer::mergeRankDecides()
{
    // "b c" first: a + bc, and "a b" can no longer apply.
    auto first = load(tokenizerJson(kAbcVocab + R"(,"merges":["b c","a b"])"));
    QCOMPARE(first->encode("abc"), (Ids{0, 4}));
    // "a b" first: ab + c.
    auto second = load(tokenizerJson(kAbcVocab + R"(,"merges":[["a","b"],["b","c"]])"));
    QCOMPARE(second->encode("abc"), (Ids{3, 2}));
    // Equal rank: the leftmost pair merges first.
    auto ties = load(tokenizerJson(kAbcVocab + R"(,"merges":["a a"])"));
    QCOMPARE(ties->encode("aaa"), (Ids{5, 0}));
    QCOMPARE(second->decode({3, 2}), std::string("ab c")); // no decoder: tokens joined by spaces
}

void TestTokenizer::ignoreMergesTakesWholeWord()
{
    // "aa" is in the vocabulary but no merge builds it.
    auto plain = load(tokenizerJson(kAbcVocab + R"(,"merges":[])"));
    QCOMPARE(plain->encode("aa"), (Ids{0, 0}));
    auto ignoring = load(tokenizerJson(kAbcVocab + R"(,"merges":[],"ignore_merges":true)"));
    QCOMPARE(ignoring->encode("aa"), (Ids{5}));
}

void TestTokenizer::unknownCharacters()
{
    auto dropping = load(tokenizerJson(kAbcVocab + R"(,"merges":[])"));
    QCOMPARE(dropping->encode("axb"), (Ids{0, 1})); // no unk token: dropped, as HF does
    auto unk = load(tokenizerJson(kAbcVocab + R"(,"merges":[],"unk_token":"?")"));
    QCOMPARE(unk->encode("axyb"), (Ids{0, 7, 7, 1}));
    QCOMPARE(unk->specialTokens().unk, std::optional<engine::TokenId>(7));
    auto fused = load(tokenizerJson(kAbcVocab + R"(,"merges":[],"unk_token":"?","fuse_unk":true)"));
    QCOMPARE(fused->encode("axyb"), (Ids{0, 7, 1}));
}

void TestTokenizer::byteFallback()
{
    std::string vocab = R"("vocab":{"h":0,"<unk>":1)";
    for (int b = 0; b < 256; ++b) {
        char entry[32];
        std::snprintf(entry, sizeof entry, ",\"<0x%02X>\":%d", b, 2 + b);
        vocab += entry;
    }
    vocab += "}";
    const std::string decoder = R"("decoder":{"type":"Sequence","decoders":[{"type":"ByteFallback"},{"type":"Fuse"}]})";
    auto tokenizer = load(tokenizerJson(vocab + R"(,"merges":[],"unk_token":"<unk>","byte_fallback":true)", decoder));
    // é = C3 A9 -> <0xC3> <0xA9>; h is in the vocabulary.
    const Ids ids = tokenizer->encode("h\xC3\xA9");
    QCOMPARE(ids, (Ids{0, 2 + 0xC3, 2 + 0xA9}));
    QCOMPARE(tokenizer->decode(ids), std::string("h\xC3\xA9"));
    // An invalid byte run decodes to one U+FFFD per byte.
    QCOMPARE(tokenizer->decode({2 + 0xC3, 0}), std::string("\xEF\xBF\xBDh"));
}

void TestTokenizer::addedTokenStripping_data()
{
    QTest::addColumn<QString>("flags");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<int>>("expected");
    // ids: a=0 b=1 " "=6 ?=7 <m>=8
    QTest::newRow("plain") << "" << "a <m> b" << QList<int>{0, 6, 8, 6, 1};
    QTest::newRow("lstrip") << R"("lstrip":true)" << "a  <m> b" << QList<int>{0, 8, 6, 1};
    QTest::newRow("rstrip") << R"("rstrip":true)" << "a <m>  b" << QList<int>{0, 6, 8, 1};
    QTest::newRow("both") << R"("lstrip":true,"rstrip":true)" << "a <m> b" << QList<int>{0, 8, 1};
    QTest::newRow("single_word, inside a word") << R"("single_word":true)" << "a<m>b" << QList<int>{0, 7, 1};
    QTest::newRow("single_word, alone") << R"("single_word":true)" << "a <m> b" << QList<int>{0, 6, 8, 6, 1};
}

void TestTokenizer::addedTokenStripping()
{
    QFETCH(QString, flags);
    QFETCH(QString, text);
    QFETCH(QList<int>, expected);
    const std::string added = R"("added_tokens":[{"id":8,"content":"<m>","special":true,"normalized":false)"
        + std::string(flags.isEmpty() ? "" : ",") + flags.toStdString() + "}]";
    // "?" stands for <, m, > when the token does not match (fuse_unk).
    auto tokenizer = load(tokenizerJson(kAbcVocab + R"(,"merges":[],"unk_token":"?","fuse_unk":true)", added));
    const Ids ids = tokenizer->encode(text.toStdString());
    QCOMPARE(QList<int>(ids.begin(), ids.end()), expected);
    QVERIFY(tokenizer->isSpecial(8));
    QCOMPARE(tokenizer->tokenToId("<m>"), std::optional<engine::TokenId>(8));
}

void TestTokenizer::parseSpecialFalseKeepsText()
{
    const std::string added = R"("added_tokens":[{"id":8,"content":"ab","special":true,"normalized":false}])";
    auto tokenizer = load(tokenizerJson(kAbcVocab + R"(,"merges":[])", added));
    QCOMPARE(tokenizer->encode("cab"), (Ids{2, 8}));
    QCOMPARE(tokenizer->encode("cab", false, false), (Ids{2, 0, 1}));
    QCOMPARE(tokenizer->decode({2, 8}, true), std::string("c"));
}

void TestTokenizer::leftmostLongestAddedTokens()
{
    const std::string added = R"("added_tokens":[{"id":8,"content":"ab","special":true,"normalized":false},)"
                              R"({"id":9,"content":"abc","special":true,"normalized":false},)"
                              R"({"id":10,"content":"bc","special":true,"normalized":false}])";
    auto tokenizer = load(tokenizerJson(kAbcVocab + R"(,"merges":[])", added));
    QCOMPARE(tokenizer->encode("aabcb"), (Ids{0, 9, 1}));
    QCOMPARE(tokenizer->encode("abbc"), (Ids{8, 10}));
}

void TestTokenizer::normalizers()
{
    const std::string vocab = R"("vocab":{"f":0,"i":1,"x":2,"fi":3},"merges":["f i"])";
    auto nfkc = load(tokenizerJson(vocab, R"("normalizer":{"type":"NFKC"})"));
    QCOMPARE(nfkc->encode("\xEF\xAC\x81x"), (Ids{3, 2})); // U+FB01 "ﬁ" -> "fi"
    auto lower = load(tokenizerJson(vocab, R"("normalizer":{"type":"Sequence","normalizers":[{"type":"Strip","strip_left":true,"strip_right":true},{"type":"Lowercase"}]})"));
    QCOMPARE(lower->encode("  FIX "), (Ids{3, 2}));
}

// The NFC normalizer skips utf8proc for text of code points below U+0300 and
// CJK unified ideographs: utf8proc (the reference) must agree that such text
// is already NFC, for every such code point alone and every pair below U+0300;
// and text outside the ranges is still composed.
void TestTokenizer::nfcQuickCheck()
{
    const auto nfc = engine::tok::parseNormalizer(engine::tok::Json::parse(R"({"type":"NFC"})"), "test");
    auto reference = [](const std::string &text) {
        utf8proc_uint8_t *out = nullptr;
        const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t *>(text.data()),
            static_cast<utf8proc_ssize_t>(text.size()), &out,
            static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
        std::string result(reinterpret_cast<const char *>(out), static_cast<std::size_t>(std::max<utf8proc_ssize_t>(n, 0)));
        std::free(out);
        return result;
    };
    auto utf8 = [](std::initializer_list<char32_t> points) {
        std::string s;
        for (const char32_t c : points)
            engine::tok::appendUtf8(s, c);
        return s;
    };
    std::vector<char32_t> singles;
    for (char32_t c = 0x80; c < 0x300; ++c)
        singles.push_back(c);
    for (char32_t c = 0x4E00; c <= 0x9FFF; ++c)
        singles.push_back(c);
    for (const char32_t c : singles) {
        const std::string text = utf8({ c });
        QVERIFY2(reference(text) == text, qPrintable(QString::number(c, 16)));
    }
    for (char32_t a = 0x41; a < 0x300; ++a)
        for (char32_t b = 0x80; b < 0x300; ++b) {
            const std::string text = utf8({ a, b });
            if (reference(text) != text)
                QFAIL(qPrintable(QStringLiteral("%1 %2").arg(a, 0, 16).arg(b, 0, 16)));
        }
    std::string composed = utf8({ 'e', 0x301, 0x5B66 }); // e + combining acute, then 学
    nfc->normalize(composed);
    QCOMPARE(composed, utf8({ 0xE9, 0x5B66 }));
    std::string kept = utf8({ 0xE9, 'a', 0x7FD2 });
    nfc->normalize(kept);
    QCOMPARE(kept, utf8({ 0xE9, 'a', 0x7FD2 }));
}

// The BPE word cache returns what was stored, word for word, keeps words that
// differ only in length or a late byte apart, ignores a second store, and
// starts a shard over when it is half full, so it stays bounded.
void TestTokenizer::wordCache()
{
    engine::tok::WordCache cache;
    Ids out;
    QVERIFY(!cache.lookup("hello", out));
    const Ids ids { 7, 8, 9 };
    cache.store("hello", ids.data(), ids.size());
    cache.store("hellO", ids.data() + 1, 1);
    cache.store("hell", ids.data() + 2, 1);
    cache.store("", ids.data(), 0);
    QVERIFY(cache.lookup("hello", out));
    QCOMPARE(out, ids);
    out.clear();
    QVERIFY(cache.lookup("hellO", out) && cache.lookup("hell", out) && cache.lookup("", out));
    QCOMPARE(out, (Ids { 8, 9 }));
    cache.store("hello", ids.data() + 2, 1); // already cached: kept as it was
    out.clear();
    QVERIFY(cache.lookup("hello", out));
    QCOMPARE(out, ids);
    const std::size_t bound = engine::tok::WordCache::kShards * engine::tok::WordCache::kSlotsPerShard / 2;
    for (std::size_t i = 0; i < 3 * bound; ++i) {
        const std::string word = "w" + std::to_string(i);
        const engine::TokenId id = static_cast<engine::TokenId>(i);
        cache.store(word, &id, 1);
        out.clear();
        if (!cache.lookup(word, out) || out != Ids { id })
            QFAIL(word.c_str());
    }
    QVERIFY(cache.size() <= bound);
    QVERIFY(cache.size() > bound / 4);
}

// A SentencePiece-style model encodes a long "word" piece by piece, each
// piece starting at a run of ▁, only when no token joins anything to a later
// ▁; the ids must be those of merging the whole word. The merge ranks here
// make a split inside a run of ▁ give other ids, and the second vocabulary's
// "a▁" must stop the splitting altogether.
void TestTokenizer::piecesAtWordMarks()
{
    const std::string base = R"("\u2581":0,"a":1,"b":2,"\u2581a":3,"\u2581b":4,"\u2581\u2581":5)";
    auto splitting = load(tokenizerJson(R"("vocab":{)" + base + R"(},"merges":["\u2581 \u2581","\u2581 a","\u2581 b"])"));
    // Whole-word BPE: ▁ a ▁ ▁ b -> (▁▁ first) ▁ a ▁▁ b -> ▁a ▁▁ b.
    QCOMPARE(splitting->encode("\u2581a\u2581\u2581b"), (Ids { 3, 5, 2 }));
    QCOMPARE(splitting->encode("a\u2581b\u2581a"), (Ids { 1, 4, 3 }));
    auto joining = load(tokenizerJson(R"("vocab":{)" + base + R"(,"a\u2581":6},"merges":["a \u2581","\u2581 a","\u2581 b"])"));
    QCOMPARE(joining->encode("a\u2581b"), (Ids { 6, 2 })); // "a▁" spans the mark: no piece boundary there
}

void TestTokenizer::metaspacePrependScheme()
{
    const std::string vocab = R"("vocab":{"\u2581":0,"a":1,"b":2,"\u2581a":3,"\u2581b":4,"<s>":5},"merges":["\u2581 a","\u2581 b"])";
    const std::string added = R"("added_tokens":[{"id":5,"content":"<s>","special":true,"normalized":false}])";
    const auto withScheme = [&](const char *scheme) {
        return load(tokenizerJson(vocab, added + R"(,"pre_tokenizer":{"type":"Metaspace","replacement":"\u2581","prepend_scheme":")"
                                             + scheme + R"(","split":true},"decoder":{"type":"Metaspace","replacement":"\u2581","prepend_scheme":")"
                                             + scheme + "\"}"));
    };
    // always: every piece gets a leading ▁, also the one after <s>.
    QCOMPARE(withScheme("always")->encode("a b<s>a"), (Ids{3, 4, 5, 3}));
    // first: only the piece at the start of the input.
    QCOMPARE(withScheme("first")->encode("a b<s>a"), (Ids{3, 4, 5, 1}));
    QCOMPARE(withScheme("never")->encode("a b"), (Ids{1, 4}));
    QCOMPARE(withScheme("always")->decode({3, 4}), std::string("a b"));
}

void TestTokenizer::templateAddsBos()
{
    const std::string post = R"("added_tokens":[{"id":8,"content":"<s>","special":true,"normalized":false}],)"
        R"("post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],)"
        R"("pair":[],"special_tokens":{"<s>":{"id":"<s>","ids":[8],"tokens":["<s>"]}}})";
    auto tokenizer = load(tokenizerJson(kAbcVocab + R"(,"merges":[])", post));
    QCOMPARE(tokenizer->encode("ab", true), (Ids{8, 0, 1}));
    QCOMPARE(tokenizer->encode("ab", false), (Ids{0, 1}));
    QCOMPARE(tokenizer->specialTokens().bos, std::optional<engine::TokenId>(8));
    QVERIFY(tokenizer->specialTokens().addBos);
    QCOMPARE(tokenizer->vocabSize(), std::size_t(9));
}

void TestTokenizer::folderWithConfigs()
{
    QTemporaryDir dir;
    const std::string added = R"("added_tokens":[{"id":8,"content":"<s>","special":true,"normalized":false},)"
                              R"({"id":9,"content":"</s>","special":true,"normalized":false}])";
    writeFile(dir.filePath("tokenizer.json"), tokenizerJson(kAbcVocab + R"(,"merges":[])", added));
    writeFile(dir.filePath("tokenizer_config.json"),
              R"({"tokenizer_class":"LlamaTokenizer","add_bos_token":true,"add_eos_token":true,"bos_token":"<s>",)"
              R"("eos_token":{"__type":"AddedToken","content":"</s>","lstrip":false},"pad_token":null})");
    writeFile(dir.filePath("generation_config.json"), R"({"eos_token_id":[9,6]})");
    auto loaded = engine::loadTokenizer(dir.path().toStdString());
    QVERIFY2(loaded, loaded.message().c_str());
    const engine::SpecialTokens &special = loaded.value()->specialTokens();
    QCOMPARE(special.bos, std::optional<engine::TokenId>(8));
    QCOMPARE(special.eos, std::optional<engine::TokenId>(9));
    QCOMPARE(special.eosText, std::string("</s>"));
    QVERIFY(!special.pad);
    QVERIFY(special.addBos && special.addEos);
    QCOMPARE(special.stopIds, (Ids{9, 6}));
    QCOMPARE(loaded.value()->encode("a", true), (Ids{8, 0, 9}));
    // The tokenizer.json path itself: the same configs apply.
    auto byFile = engine::loadTokenizer(dir.filePath("tokenizer.json").toStdString());
    QVERIFY2(byFile, byFile.message().c_str());
    QCOMPARE(byFile.value()->specialTokens().stopIds, (Ids{9, 6}));
}

void TestTokenizer::gpt2Files()
{
    QTemporaryDir dir;
    // Byte-level: "Ġ" is the space byte; "Ġa" needs the merge.
    writeFile(dir.filePath("vocab.json"), R"({"a":0,"b":1,"\u0120":2,"\u0120a":3,"<|endoftext|>":4})");
    writeFile(dir.filePath("merges.txt"), "#version: 0.2\n\xC4\xA0 a\n");
    auto loaded = engine::loadTokenizer(dir.path().toStdString());
    QVERIFY2(loaded, loaded.message().c_str());
    QCOMPARE(loaded.value()->encode("b a<|endoftext|>"), (Ids{1, 3, 4}));
    QCOMPARE(loaded.value()->decode({1, 3, 4}), std::string("b a<|endoftext|>"));
    QCOMPARE(loaded.value()->specialTokens().eos, std::optional<engine::TokenId>(4));
}

void TestTokenizer::badInput_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("message");
    QTest::newRow("invalid JSON") << R"({"model": {)" << "test.json: invalid JSON at byte";
    QTest::newRow("not an object") << "[1,2]" << "test.json: expected a JSON object";
    QTest::newRow("missing model") << R"({"version":"1.0"})" << "test.json: missing field 'model'";
    QTest::newRow("merge out of vocab") << QString::fromStdString(tokenizerJson(kAbcVocab + R"(,"merges":["a z"])"))
                                        << "test.json: model.merges[0]: merge token 'z' is not in the vocabulary";
    QTest::newRow("merged token out of vocab") << QString::fromStdString(tokenizerJson(kAbcVocab + R"(,"merges":["c a"])"))
                                               << "merged token 'ca' is not in the vocabulary";
    QTest::newRow("bad merge line") << QString::fromStdString(tokenizerJson(kAbcVocab + R"(,"merges":["a b c"])"))
                                    << "model.merges[0]: merge 'a b c' must be two tokens";
    QTest::newRow("WordPiece") << R"({"model":{"type":"WordPiece","vocab":{}}})"
                               << "test.json: model: tokenizer model type 'WordPiece' is not supported";
    QTest::newRow("Unigram") << R"({"model":{"type":"Unigram","vocab":[]}})" << "tokenizer model type 'Unigram' is not supported";
    QTest::newRow("bad vocab id") << QString::fromStdString(tokenizerJson(R"("vocab":{"a":-1},"merges":[])"))
                                  << "model.vocab.a: expected a non-negative integer id";
    QTest::newRow("huge vocab id") << QString::fromStdString(tokenizerJson(R"("vocab":{"a":4000000000},"merges":[])"))
                                   << "model.vocab.a: expected a non-negative integer id below 2^24";
    QTest::newRow("unknown pre-tokenizer") << QString::fromStdString(tokenizerJson(kAbcVocab + R"(,"merges":[])", R"("pre_tokenizer":{"type":"Whitespace"})"))
                                           << "pre_tokenizer: pre-tokenizer type 'Whitespace' is not supported";
    QTest::newRow("bad regex") << QString::fromStdString(tokenizerJson(kAbcVocab + R"(,"merges":[])", R"("pre_tokenizer":{"type":"Split","pattern":{"Regex":"(a"},"behavior":"Isolated"})"))
                               << "regex pattern does not compile";
    QTest::newRow("unk not in vocab") << QString::fromStdString(tokenizerJson(kAbcVocab + R"(,"merges":[],"unk_token":"<unk>")"))
                                      << "unk token '<unk>' is not in the vocabulary";
    QTest::newRow("template without A") << QString::fromStdString(tokenizerJson(kAbcVocab + R"(,"merges":[])", R"("post_processor":{"type":"TemplateProcessing","single":[]})"))
                                        << "the template has no $A sequence";
    QTest::newRow("template id out of vocab")
        << QString::fromStdString(tokenizerJson(kAbcVocab + R"(,"merges":[])",
                                                R"("post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],)"
                                                R"("special_tokens":{"<s>":{"id":"<s>","ids":[99],"tokens":["<s>"]}}})"))
        << "post_processor: special token id 99 is not in the vocabulary";
}

void TestTokenizer::badInput()
{
    QFETCH(QString, json);
    QFETCH(QString, message);
    const QString error = loadError(json.toStdString());
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY2(error.contains(QLatin1String("(hint: ")), qPrintable(error));
}

void TestTokenizer::invalidUtf8NamesOffset()
{
    auto tokenizer = load(tokenizerJson(kAbcVocab + R"(,"merges":[])"));
    try {
        (void)tokenizer->encode("abc\xC3(");
        QFAIL("no error for invalid UTF-8");
    } catch (const engine::Error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("invalid byte 0xC3 at byte offset 3")), e.what());
    }
}

void TestTokenizer::missingFilesAndBadConfig()
{
    QTemporaryDir dir;
    auto none = engine::loadTokenizer(dir.path().toStdString());
    QVERIFY(!none);
    QVERIFY2(QString::fromStdString(none.message()).contains(QLatin1String("no tokenizer.json, and no vocab.json + merges.txt")), none.message().c_str());
    writeFile(dir.filePath("tokenizer.json"), tokenizerJson(kAbcVocab + R"(,"merges":[])"));
    writeFile(dir.filePath("tokenizer_config.json"), R"({"eos_token":"</s>"})");
    auto badConfig = engine::loadTokenizer(dir.path().toStdString());
    QVERIFY(!badConfig);
    QVERIFY2(QString::fromStdString(badConfig.message()).contains(QLatin1String("tokenizer_config.json: eos_token: token '</s>' is not in the tokenizer's vocabulary")),
             badConfig.message().c_str());
    auto missing = engine::loadTokenizerFile(dir.filePath("nothere.json").toStdString());
    QVERIFY(!missing);
    QVERIFY2(QString::fromStdString(missing.message()).contains(QLatin1String("nothere.json")), missing.message().c_str());
}

QTEST_GUILESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"

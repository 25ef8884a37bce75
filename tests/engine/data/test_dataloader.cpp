// DataLoader and preview with a byte-level fake tokenizer (ids are bytes and
// listed special strings, so expected ids are written out by hand here):
// token-level loss masks per shape and template, BOS policy, truncation,
// packing layout, split and shuffle determinism, cursor resume, classes,
// preview statistics, and the DatasetConfig JSON form.
#include "bytetokenizer.h"

#include "engine/data/dataloader.h"
#include "engine/data/datasetpreview.h"
#include "engine/data/examplesource.h"
#include "engine/data/tokenizingpipeline.h"
#include "engine/core/runtime.h"
#include "engine/core/status.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace engine::data;
using engine::TokenId;
using Ids = std::vector<TokenId>;

namespace {

const QString kFixtures = QStringLiteral(LF_TEST_DATA_DIR "/datasets/");

Ids bytes(const std::string &text)
{
    Ids ids;
    for (const char c : text)
        ids.push_back(static_cast<unsigned char>(c));
    return ids;
}

Ids sp(const char *special)
{
    return { test::ByteTokenizer::idOf(special) };
}

Ids operator+(Ids a, const Ids &b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

Ids masked(const Ids &ids)
{
    return Ids(ids.size(), kIgnoreIndex);
}

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(bytes);
    return path;
}

std::unique_ptr<DataLoader> openLoader(const DatasetConfig &config, const engine::Tokenizer &tokenizer)
{
    auto loader = DataLoader::open(config, tokenizer);
    if (!loader.isOk())
        qWarning("%s", loader.message().c_str());
    return loader.isOk() ? std::move(loader.value()) : nullptr;
}

// Texts of a text dataset's documents, one per line "doc <n>".
QByteArray numberedDocs(int n)
{
    QByteArray out;
    for (int i = 0; i < n; ++i)
        out += "{\"text\": \"doc " + QByteArray::number(i) + "\"}\n";
    return out;
}

// The document texts of a batch (eos removed), row by row.
std::vector<std::string> docsOf(const Batch &batch, const test::ByteTokenizer &tokenizer)
{
    std::vector<std::string> docs;
    for (int r = 0; r < batch.rows; ++r) {
        Ids row;
        for (int c = 0; c < batch.columns; ++c)
            if (batch.attentionMask[static_cast<std::size_t>(r * batch.columns + c)])
                row.push_back(batch.inputIds[static_cast<std::size_t>(r * batch.columns + c)]);
        docs.push_back(tokenizer.decode(row, true));
    }
    return docs;
}

// Refuses any text containing "POISON", as a tokenizer error would.
class PoisonTokenizer : public test::ByteTokenizer
{
public:
    PoisonTokenizer() : test::ByteTokenizer("", "</s>", false) { }
    std::vector<TokenId> encode(std::string_view text, bool addSpecial, bool parseSpecial) const override
    {
        if (text.find("POISON") != std::string_view::npos)
            throw engine::Error("poisoned text");
        return test::ByteTokenizer::encode(text, addSpecial, parseSpecial);
    }
};

// Records of 1..40 words; line `poison` (1-based) holds POISON, line `broken` is invalid JSON (0: none).
QByteArray varyingDocs(int n, int poison = 0, int broken = 0)
{
    QByteArray out;
    for (int i = 1; i <= n; ++i) {
        if (i == broken) {
            out += "{\"text\": \"unterminated\n";
            continue;
        }
        QByteArray text = i == poison ? "POISON " : "";
        for (int w = 0; w < 1 + (i * 7) % 40; ++w)
            text += "w" + QByteArray::number(i) + " ";
        out += "{\"text\": \"" + text + "\"}\n";
    }
    return out;
}

struct Tokenized
{
    std::vector<std::int64_t> lines;
    std::vector<Ids> ids, labels;
    std::string error;
};

Tokenized tokenizeWith(const std::string &path, const engine::Tokenizer &tokenizer, int threads)
{
    DatasetConfig config;
    config.trainPath = path;
    config.maxLength = 64;
    ExampleSource source(path, config, nullptr, &tokenizer);
    Tokenized out;
    try {
        tokenizeAll(source, tokenizer, 64, [&](const RenderedExample &rendered, const TokenizedExample &tokenized) {
            out.lines.push_back(rendered.line);
            out.ids.push_back(tokenized.ids);
            out.labels.push_back(tokenized.labels);
        }, threads);
    } catch (const std::exception &e) {
        out.error = e.what();
    }
    return out;
}

} // namespace

class TestDataLoader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void masks_data();
    void masks();
    void lossOnAll();
    void truncation();
    void packing();
    void preferencePairs();
    void splitDeterminism();
    void shuffleEpochs();
    void cursorResume();
    void classification();
    void previewStatistics();
    void parallelTokenizing();
    void parallelTokenizingErrors();
    void configJson();
    void configJsonErrors();
};

void TestDataLoader::masks_data()
{
    QTest::addColumn<QByteArray>("record");
    QTest::addColumn<QString>("chatTemplate");
    QTest::addColumn<QString>("bos");
    QTest::addColumn<QString>("eos");
    QTest::addColumn<bool>("addBos");
    QTest::addColumn<Ids>("ids");
    QTest::addColumn<Ids>("labels");
    const QByteArray chat = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, "
                            "{\"role\": \"assistant\", \"content\": \"Yo\"}]}";
    {
        const Ids prompt = sp("<|im_start|>") + bytes("user\nHi") + sp("<|im_end|>") + bytes("\n") + sp("<|im_start|>")
            + bytes("assistant\n");
        const Ids answer = bytes("Yo") + sp("<|im_end|>");
        QTest::newRow("chatml") << chat << "chatml"
                                << ""
                                << "<|im_end|>" << false << prompt + answer + bytes("\n")
                                << masked(prompt) + answer + masked(bytes("\n"));
    }
    {
        // The template writes <|begin_of_text|>; the tokenizer's own BOS must not be added again.
        const Ids prompt = sp("<|begin_of_text|>") + sp("<|start_header_id|>") + bytes("user") + sp("<|end_header_id|>")
            + bytes("\n\nHi") + sp("<|eot_id|>") + sp("<|start_header_id|>") + bytes("assistant")
            + sp("<|end_header_id|>") + bytes("\n\n");
        const Ids answer = bytes("Yo") + sp("<|eot_id|>");
        QTest::newRow("llama3, no double bos") << chat << "llama3"
                                               << "<|begin_of_text|>"
                                               << "<|eot_id|>" << true << prompt + answer << masked(prompt) + answer;
    }
    {
        const Ids prompt = sp("<s>") + bytes("[INST] Hi [/INST]");
        const Ids answer = bytes(" Yo ") + sp("</s>");
        QTest::newRow("llama2") << chat << "llama2"
                                << "<s>"
                                << "</s>" << true << prompt + answer << masked(prompt) + answer;
    }
    {
        const Ids prompt = bytes("<|user|>\nHi") + sp("</s>") + bytes("\n<|assistant|>\n");
        const Ids answer = bytes("Yo") + sp("</s>");
        QTest::newRow("zephyr") << chat << "zephyr"
                                << "<s>"
                                << "</s>" << true << prompt + answer + bytes("\n")
                                << masked(prompt) + answer + masked(bytes("\n"));
    }
    {
        // Alpaca records: the original prompt, then output + eos; the tokenizer's BOS is prepended once.
        const Ids prompt = bytes("Below is an instruction that describes a task. Write a response that appropriately "
                                 "completes the request.\n\n### Instruction:\nAdd 1+1\n\n### Response:");
        const Ids answer = bytes("2") + sp("</s>");
        QTest::newRow("alpaca + bos") << QByteArray(
            "{\"instruction\": \"Add 1+1\", \"input\": \"\", \"output\": \"2\"}")
                                      << "auto"
                                      << "<s>"
                                      << "</s>" << true << sp("<s>") + prompt + answer
                                      << masked(sp("<s>") + prompt) + answer;
    }
    {
        const Ids prompt = bytes("Q: 2+2?");
        const Ids answer = bytes(" 4") + sp("<|endoftext|>");
        QTest::newRow("prompt/completion") << QByteArray("{\"prompt\": \"Q: 2+2?\", \"completion\": \" 4\"}") << "auto"
                                           << ""
                                           << "<|endoftext|>" << false << prompt + answer << masked(prompt) + answer;
    }
    {
        const Ids text = bytes("plain <s> text") + sp("<|endoftext|>"); // "<s>" in data is the special token here too
        QTest::newRow("text") << QByteArray("{\"text\": \"plain <s> text\"}") << "auto"
                              << ""
                              << "<|endoftext|>" << false
                              << bytes("plain ") + sp("<s>") + bytes(" text") + sp("<|endoftext|>")
                              << bytes("plain ") + sp("<s>") + bytes(" text") + sp("<|endoftext|>");
        Q_UNUSED(text);
    }
    {
        // Conversational prompt/completion: the completion messages are the trained assistant turn.
        const Ids prompt = sp("<|im_start|>") + bytes("user\nHi") + sp("<|im_end|>") + bytes("\n") + sp("<|im_start|>")
            + bytes("assistant\n");
        const Ids answer = bytes("Yo") + sp("<|im_end|>");
        QTest::newRow("conversational prompt/completion")
            << QByteArray("{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                          "\"completion\": [{\"role\": \"assistant\", \"content\": \"Yo\"}]}")
            << "chatml"
            << ""
            << "<|im_end|>" << false << prompt + answer + bytes("\n") << masked(prompt) + answer + masked(bytes("\n"));
    }
}

// Token-level ids and labels of one record through the whole pipeline.
void TestDataLoader::masks()
{
    QFETCH(QByteArray, record);
    QFETCH(QString, chatTemplate);
    QFETCH(QString, bos);
    QFETCH(QString, eos);
    QFETCH(bool, addBos);
    QFETCH(Ids, ids);
    QFETCH(Ids, labels);
    QTemporaryDir dir;
    DatasetConfig config;
    config.trainPath = writeFile(dir, "one.jsonl", record + "\n").toStdString();
    config.chatTemplate = *templateFromName(chatTemplate.toStdString());
    config.shuffle = false;
    const test::ByteTokenizer tokenizer(bos.toStdString(), eos.toStdString(), addBos);
    const auto loader = openLoader(config, tokenizer);
    QVERIFY(loader);
    const Batch batch = loader->nextBatch(1);
    QCOMPARE(batch.rows, 1);
    QCOMPARE(batch.inputIds, ids);
    QCOMPARE(batch.labels, labels);
    QCOMPARE(batch.attentionMask, std::vector<std::int32_t>(ids.size(), 1));
    std::int64_t trained = 0;
    for (std::size_t i = 1; i < labels.size(); ++i)
        trained += labels[i] != kIgnoreIndex;
    QCOMPARE(batch.trainedTokens, trained);
}

void TestDataLoader::lossOnAll()
{
    DatasetConfig config;
    config.trainPath = (kFixtures + "messages.jsonl").toStdString();
    config.lossOn = LossOn::All;
    const test::ByteTokenizer tokenizer("", "<|im_end|>", false);
    const auto loader = openLoader(config, tokenizer);
    QVERIFY(loader);
    const Batch batch = loader->nextBatch(2);
    for (std::size_t i = 0; i < batch.inputIds.size(); ++i)
        QCOMPARE(batch.labels[i], batch.attentionMask[i] ? batch.inputIds[i] : kIgnoreIndex);
    // "weight": 0 turns are masked by default, trained with LossOn::All: the default has fewer trained tokens.
    config.lossOn = LossOn::Auto;
    const auto completionOnly = openLoader(config, tokenizer);
    QVERIFY(completionOnly);
    QVERIFY(completionOnly->stats().trainedTokens < loader->stats().trainedTokens);
    QCOMPARE(completionOnly->stats().trainedTokens,
        std::uint64_t(std::string("Paris.").size() + 1 + std::string("Hallo!").size() + 1));
}

void TestDataLoader::truncation()
{
    QTemporaryDir dir;
    DatasetConfig config;
    config.trainPath = writeFile(dir, "t.jsonl", "{\"text\": \"0123456789\"}\n{\"text\": \"ab\"}\n").toStdString();
    config.maxLength = 6;
    config.shuffle = false;
    const test::ByteTokenizer tokenizer("", "</s>", false);
    const auto loader = openLoader(config, tokenizer);
    QVERIFY(loader);
    QCOMPARE(loader->stats().truncatedRecords, 1);
    QCOMPARE(loader->stats().trainTokens, std::uint64_t(6 + 3));
    const Batch batch = loader->nextBatch(2);
    QCOMPARE(batch.columns, 6);
    QCOMPARE(Ids(batch.inputIds.begin(), batch.inputIds.begin() + 6), bytes("012345"));
    // Row 2 is "ab</s>" right-padded with <pad>, attention 0 and label -100 on the pads.
    QCOMPARE(Ids(batch.inputIds.begin() + 6, batch.inputIds.end()),
        bytes("ab") + sp("</s>") + sp("<pad>") + sp("<pad>") + sp("<pad>"));
    QCOMPARE(Ids(batch.labels.begin() + 6, batch.labels.end()), bytes("ab") + sp("</s>") + masked(Ids(3)));
    QCOMPARE(std::vector<std::int32_t>(batch.attentionMask.begin() + 6, batch.attentionMask.end()),
        std::vector<std::int32_t>({ 1, 1, 1, 0, 0, 0 }));
}

// Next-fit packing in order; documents are never split; each packed document's first label is -100
// and positions restart, so no document learns from its neighbour.
void TestDataLoader::packing()
{
    QTemporaryDir dir;
    DatasetConfig config;
    config.trainPath = writeFile(dir, "p.jsonl",
        "{\"text\": \"aaa\"}\n{\"text\": \"bbbb\"}\n{\"text\": \"cc\"}\n"
        "{\"text\": \"ddd\"}\n{\"text\": \"eeeeeeeee\"}\n")
                           .toStdString();
    config.maxLength = 10;
    config.packing = true;
    config.shuffle = false;
    const test::ByteTokenizer tokenizer("", "</s>", false);
    const auto loader = openLoader(config, tokenizer);
    QVERIFY(loader);
    // Lengths with eos: 4, 5, 3, 4, 10 -> [4+5], [3+4], [10].
    QCOMPARE(loader->sequencesPerEpoch(), 3);
    const Batch batch = loader->nextBatch(3);
    QCOMPARE(batch.rows, 3);
    QCOMPARE(batch.columns, 10);
    QCOMPARE(batch.documents, 5);
    const Ids eos = sp("</s>");
    const Ids pad = sp("<pad>");
    const Ids row0 = bytes("aaa") + eos + bytes("bbbb") + eos + pad;
    QCOMPARE(Ids(batch.inputIds.begin(), batch.inputIds.begin() + 10), row0);
    QCOMPARE(Ids(batch.labels.begin(), batch.labels.begin() + 10),
        bytes("aaa") + eos + Ids { kIgnoreIndex } + bytes("bbb") + eos + Ids { kIgnoreIndex });
    QCOMPARE(std::vector<std::int32_t>(batch.positionIds.begin(), batch.positionIds.begin() + 10),
        std::vector<std::int32_t>({ 0, 1, 2, 3, 0, 1, 2, 3, 4, 0 }));
    QCOMPARE(Ids(batch.inputIds.begin() + 10, batch.inputIds.begin() + 20),
        bytes("cc") + eos + bytes("ddd") + eos + pad + pad + pad);
    QCOMPARE(Ids(batch.inputIds.begin() + 20, batch.inputIds.end()), bytes("eeeeeeeee") + eos);
    // Trained tokens: every real label except position 0 of each row.
    QCOMPARE(batch.trainedTokens, std::int64_t((9 - 1 - 1) + (7 - 1 - 1) + (10 - 1)));
}

// Preference records become pairs of rows (chosen, rejected) that stay
// together through shuffling, batching and the validation split; only the
// answers carry loss, and packing never merges pairs.
void TestDataLoader::preferencePairs()
{
    QTemporaryDir dir;
    QByteArray lines;
    for (int i = 0; i < 10; ++i)
        lines += "{\"prompt\": \"q" + QByteArray::number(i) + ":\", \"chosen\": \" yes" + QByteArray::number(i)
            + "\", \"rejected\": \" no" + QByteArray::number(i) + "\"}\n";
    DatasetConfig config;
    config.trainPath = writeFile(dir, "pairs.jsonl", lines).toStdString();
    config.validationFraction = 0.2;
    config.packing = true; // ignored for pairs
    const test::ByteTokenizer tokenizer("", "</s>", false);
    const auto loader = openLoader(config, tokenizer);
    QVERIFY(loader);
    QCOMPARE(loader->stats().shape, Shape::Preference);
    QCOMPARE(loader->stats().trainExamples, 8);
    QCOMPARE(loader->stats().validationExamples, 2);
    QCOMPARE(loader->sequencesPerEpoch(), 8);
    std::set<std::string> seen;
    for (int b = 0; b < 2; ++b) {
        const Batch batch = loader->nextBatch(4);
        QCOMPARE(batch.preferencePairs, 4);
        QCOMPARE(batch.rows, 8);
        const std::vector<std::string> docs = docsOf(batch, tokenizer);
        for (int p = 0; p < 4; ++p) {
            const std::string chosen = docs[static_cast<std::size_t>(2 * p)];
            const std::string rejected = docs[static_cast<std::size_t>(2 * p + 1)];
            const std::string n = chosen.substr(1, chosen.find(':') - 1);
            QCOMPARE(chosen, "q" + n + ": yes" + n);
            QCOMPARE(rejected, "q" + n + ": no" + n);
            seen.insert(n);
        }
        // Labels: the answer and its eos only (the prompt "qN:" is masked).
        const Ids row1(batch.labels.begin() + batch.columns, batch.labels.begin() + 2 * batch.columns);
        const std::string first = docs[1];
        const std::size_t prompt = first.find(':') + 1;
        QCOMPARE(Ids(row1.begin(), row1.begin() + static_cast<std::ptrdiff_t>(prompt)), masked(bytes(first.substr(0, prompt))));
        QCOMPARE(row1[prompt], TokenId(' '));
    }
    QCOMPARE(seen.size(), std::size_t(8)); // every training pair once per epoch
    const Batch validation = loader->validationBatch(0, 8);
    QCOMPARE(validation.preferencePairs, 2);
    for (const std::string &doc : docsOf(validation, tokenizer))
        QVERIFY2(!seen.count(doc.substr(1, doc.find(':') - 1)), doc.c_str()); // held-out pairs are whole
}

// The validation split depends only on the seed; train and validation partition the records.
void TestDataLoader::splitDeterminism()
{
    QTemporaryDir dir;
    DatasetConfig config;
    config.trainPath = writeFile(dir, "d.jsonl", numberedDocs(100)).toStdString();
    config.validationFraction = 0.1;
    config.seed = 7;
    const test::ByteTokenizer tokenizer("", "</s>", false);
    auto validationDocs = [&](const DatasetConfig &c) {
        const auto loader = openLoader(c, tokenizer);
        std::vector<std::string> docs;
        for (std::int64_t i = 0; loader && i < loader->validationBatchCount(4); ++i)
            for (const std::string &d : docsOf(loader->validationBatch(i, 4), tokenizer))
                docs.push_back(d);
        return docs;
    };
    const auto a = validationDocs(config);
    QCOMPARE(a.size(), std::size_t(10));
    QCOMPARE(validationDocs(config), a);
    DatasetConfig other = config;
    other.seed = 8;
    QVERIFY(validationDocs(other) != a);

    const auto loader = openLoader(config, tokenizer);
    QVERIFY(loader);
    QCOMPARE(loader->stats().trainExamples, 90);
    QCOMPARE(loader->stats().validationExamples, 10);
    std::set<std::string> all(a.begin(), a.end());
    for (std::int64_t b = 0; b < loader->batchesPerEpoch(8); ++b)
        for (const std::string &d : docsOf(loader->nextBatch(8), tokenizer))
            QVERIFY2(all.insert(d).second, d.c_str());
    QCOMPARE(all.size(), std::size_t(100));

    // A separate validation file instead of a fraction.
    DatasetConfig separate = config;
    separate.validationFraction = 0;
    separate.validationPath = writeFile(dir, "v.jsonl", "{\"text\": \"held out\"}\n").toStdString();
    const auto withFile = openLoader(separate, tokenizer);
    QVERIFY(withFile);
    QCOMPARE(withFile->stats().trainExamples, 100);
    QCOMPARE(docsOf(withFile->validationBatch(0, 4), tokenizer), std::vector<std::string> { "held out" });
}

// Each epoch visits every record once, in a seeded order that changes between epochs.
void TestDataLoader::shuffleEpochs()
{
    QTemporaryDir dir;
    DatasetConfig config;
    config.trainPath = writeFile(dir, "d.jsonl", numberedDocs(30)).toStdString();
    const test::ByteTokenizer tokenizer("", "</s>", false);
    const auto loader = openLoader(config, tokenizer);
    QVERIFY(loader);
    std::vector<std::string> epochs[2];
    for (auto &epoch : epochs)
        for (int i = 0; i < 30; ++i)
            epoch.push_back(docsOf(loader->nextBatch(1), tokenizer)[0]);
    QVERIFY(epochs[0] != epochs[1]);
    for (auto &epoch : epochs)
        QCOMPARE(std::set<std::string>(epoch.begin(), epoch.end()).size(), std::size_t(30));
    QCOMPARE(loader->cursor().epoch, 1);
    const auto again = openLoader(config, tokenizer);
    QCOMPARE(docsOf(again->nextBatch(30), tokenizer), epochs[0]);
}

// A cursor taken mid-run (across an epoch boundary) resumes the exact same stream in a new loader.
void TestDataLoader::cursorResume()
{
    QTemporaryDir dir;
    DatasetConfig config;
    config.trainPath = writeFile(dir, "d.jsonl", numberedDocs(20)).toStdString();
    config.packing = true;
    config.maxLength = 16;
    const test::ByteTokenizer tokenizer("", "</s>", false);
    const auto first = openLoader(config, tokenizer);
    QVERIFY(first);
    for (int i = 0; i < 7; ++i)
        first->nextBatch(2);
    const DataCursor cursor = first->cursor();
    QVERIFY(cursor.epoch >= 1);
    std::vector<Batch> expected;
    for (int i = 0; i < 6; ++i)
        expected.push_back(first->nextBatch(2));

    const auto second = openLoader(config, tokenizer);
    QVERIFY(second);
    const engine::Status restored = second->restore(cursor);
    QVERIFY2(restored.isOk(), restored.message().c_str());
    for (const Batch &want : expected) {
        const Batch got = second->nextBatch(2);
        QCOMPARE(got.inputIds, want.inputIds);
        QCOMPARE(got.labels, want.labels);
        QCOMPARE(got.positionIds, want.positionIds);
    }
    DatasetConfig otherSeed = config;
    otherSeed.seed = 1;
    const auto other = openLoader(otherSeed, tokenizer);
    QVERIFY(!other->restore(cursor).isOk());
    DataCursor beyond = cursor;
    beyond.position = 1000;
    QVERIFY(!second->restore(beyond).isOk());
}

// Labels get ids in sorted order (numeric when all are integers); one class per row.
void TestDataLoader::classification()
{
    DatasetConfig config;
    config.trainPath = (kFixtures + "labelled.jsonl").toStdString();
    config.shuffle = false;
    const test::ByteTokenizer tokenizer("", "</s>", false);
    auto loader = openLoader(config, tokenizer);
    QVERIFY(loader);
    QCOMPARE(loader->stats().classNames, std::vector<std::string>({ "negative", "positive" }));
    Batch batch = loader->nextBatch(3);
    QCOMPARE(batch.classLabels, std::vector<std::int32_t>({ 1, 0, 1 }));
    QCOMPARE(batch.trainedTokens, 0);

    config.trainPath = (kFixtures + "mnli_train.tsv").toStdString();
    loader = openLoader(config, tokenizer);
    QVERIFY(loader);
    QCOMPARE(loader->stats().classNames, std::vector<std::string>({ "contradiction", "entailment", "neutral" }));
    batch = loader->nextBatch(3);
    QCOMPARE(batch.classLabels, std::vector<std::int32_t>({ 2, 1, 0 }));

    config.labels = { "neutral", "entailment" }; // a declared label list that misses one is an error naming the record
    auto failed = DataLoader::open(config, tokenizer);
    QVERIFY(!failed.isOk());
    QVERIFY2(failed.message().find("mnli_train.tsv:4: label 'contradiction'") != std::string::npos,
        failed.message().c_str());
}

void TestDataLoader::previewStatistics()
{
    QTemporaryDir dir;
    DatasetConfig config;
    config.trainPath = writeFile(dir, "s.jsonl",
        "{\"prompt\": \"ab\", \"completion\": \"c\"}\n"
        "{\"prompt\": \"0123456789\", \"completion\": \"0123456789\"}\n"
        "{\"prompt\": \"x\", \"completion\": \"yz\"}\n")
                           .toStdString();
    config.maxLength = 16;
    const test::ByteTokenizer tokenizer("<s>", "</s>", true);
    const auto preview = previewDataset(config, &tokenizer, nullptr, 2);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QVERIFY(preview->tokenized);
    QCOMPARE(preview->records, 3);
    QCOMPARE(preview->examples.size(), std::size_t(2));
    // <s> + "ab" (masked) + "c</s>" (trained): spans as token ranges.
    const auto &spans = preview->examples[0].spans;
    QCOMPARE(spans.size(), std::size_t(3));
    QCOMPARE(spans[0].text, std::string("<s>"));
    QCOMPARE(spans[1].text, std::string("ab"));
    QVERIFY(!spans[1].trained);
    QCOMPARE(spans[1].begin, std::size_t(1));
    QCOMPARE(spans[1].end, std::size_t(3));
    QCOMPARE(spans[2].text, std::string("c</s>"));
    QVERIFY(spans[2].trained);
    QCOMPARE(spans[2].end, std::size_t(5));
    // Lengths 5, 22, 5: one over 16; tokens per epoch after truncation 5 + 16 + 5.
    QCOMPARE(preview->shortest, std::size_t(5));
    QCOMPARE(preview->longest, std::size_t(22));
    QCOMPARE(preview->overMaxLength, 1);
    QVERIFY(preview->examples[1].truncated);
    QCOMPARE(preview->tokensPerEpoch, std::uint64_t(26));
    QCOMPARE(preview->trainedTokensPerEpoch, std::uint64_t(2 + 5 + 3)); // the truncated one keeps 5 of 11
    QCOMPARE(preview->sequencesPerEpoch, 3);
    std::int64_t counted = 0;
    for (const std::int64_t c : preview->histogram.counts)
        counted += c;
    QCOMPARE(counted, 3);
    QCOMPARE(preview->histogram.counts.back(), 1); // 22 >= 16 goes to the overflow bucket
    QCOMPARE(preview->histogram.counts[5 / preview->histogram.bucketWidth], 2);
}

// Worker threads give exactly the one-thread result, in order, over several batches (4,096 examples each).
void TestDataLoader::parallelTokenizing()
{
    QTemporaryDir dir;
    const std::string path = writeFile(dir, "many.jsonl", varyingDocs(10000)).toStdString();
    const test::ByteTokenizer tokenizer("", "</s>", false);
    const Tokenized one = tokenizeWith(path, tokenizer, 1);
    QVERIFY2(one.error.empty(), one.error.c_str());
    QCOMPARE(one.lines.size(), std::size_t(10000));
    QCOMPARE(one.lines.back(), std::int64_t(10000));
    for (const int threads : { 2, 3 }) {
        const Tokenized many = tokenizeWith(path, tokenizer, threads);
        QVERIFY2(many.error.empty(), many.error.c_str());
        QCOMPARE(many.lines, one.lines);
        QCOMPARE(many.ids, one.ids);
        QCOMPARE(many.labels, one.labels);
    }

    // The loader on three threads: the same data, the same fingerprinted cursor.
    DatasetConfig config;
    config.trainPath = path;
    config.validationFraction = 0.05;
    const auto serial = openLoader(config, tokenizer);
    engine::setThreadCount(3);
    const auto parallel = openLoader(config, tokenizer);
    engine::setThreadCount(1);
    QVERIFY(serial && parallel);
    QCOMPARE(parallel->stats().trainTokens, serial->stats().trainTokens);
    QCOMPARE(parallel->cursor().fingerprint, serial->cursor().fingerprint);
    QCOMPARE(parallel->nextBatch(8).inputIds, serial->nextBatch(8).inputIds);
}

// The first error in file order is the one reported, whichever thread met it first.
void TestDataLoader::parallelTokenizingErrors()
{
    QTemporaryDir dir;
    const PoisonTokenizer tokenizer;
    // A tokenizer error in the second batch, a read error in the third (read while the second is tokenized).
    const std::string poisonFirst = writeFile(dir, "a.jsonl", varyingDocs(10000, 5000, 9000)).toStdString();
    // A read error in the second batch, a tokenizer error after it.
    const std::string brokenFirst = writeFile(dir, "b.jsonl", varyingDocs(10000, 7000, 5000)).toStdString();
    for (const int threads : { 1, 3 }) {
        const Tokenized a = tokenizeWith(poisonFirst, tokenizer, threads);
        QCOMPARE(a.error, std::string("poisoned text"));
        QCOMPARE(a.lines.size(), std::size_t(4999)); // everything before the poisoned record was handed on
        const Tokenized b = tokenizeWith(brokenFirst, tokenizer, threads);
        QVERIFY2(b.error.find("b.jsonl:5000") != std::string::npos, b.error.c_str());
        QCOMPARE(b.lines.size(), std::size_t(4999));
    }
}

void TestDataLoader::configJson()
{
    DatasetConfig c;
    c.trainPath = "data/train.jsonl";
    c.validationPath = "data/valid.jsonl";
    c.validationFraction = 0.2;
    c.shape = Shape::ShareGpt;
    c.fieldMap = { { "conversations", "dialog" } };
    c.roleMap = { { "bot2", "assistant" } };
    c.chatTemplate = TemplateKind::Zephyr;
    c.systemPrompt = "Be kind.";
    c.lossOn = LossOn::All;
    c.maxLength = 333;
    c.packing = true;
    c.shuffle = false;
    c.seed = 1234567890123ULL;
    c.skipBadRecords = true;
    c.textUnit = TextUnit::File;
    c.pairSeparator = " [SEP] ";
    c.labels = { "b", "a" };
    c.maxRecordBytes = 4096;
    const std::string json = toJson(c);
    const auto back = datasetConfigFromJson(json);
    QVERIFY2(back.isOk(), back.message().c_str());
    QCOMPARE(toJson(back.value()), json);
    QCOMPARE(back->seed, c.seed);
    QCOMPARE(back->fieldMap, c.fieldMap);
    QVERIFY(QByteArray::fromStdString(json).contains("\"version\": 1"));
    const auto defaults = datasetConfigFromJson("{}");
    QVERIFY(defaults.isOk());
    QCOMPARE(toJson(defaults.value()), toJson(DatasetConfig()));
}

void TestDataLoader::configJsonErrors()
{
    const std::pair<const char *, const char *> cases[] = {
        { "{\"shape\": \"chat\"}", "'shape' is 'chat' (hint: one of auto, text" },
        { "{\"max_length\": \"long\"}", "'max_length' has the wrong type" },
        { "{\"version\": 99}", "version 99 is newer" },
        { "[1]", "expected a JSON object" },
        { "{", "invalid JSON" },
    };
    for (const auto &[json, expected] : cases) {
        const auto parsed = datasetConfigFromJson(json);
        QVERIFY(!parsed.isOk());
        QVERIFY2(parsed.message().find(expected) != std::string::npos, parsed.message().c_str());
    }
    DatasetConfig bad;
    bad.fieldMap = { { "answer", "x" } };
    QVERIFY(bad.validate().message().find("unknown field 'answer'") != std::string::npos);
    bad = DatasetConfig();
    bad.roleMap = { { "x", "narrator" } };
    QVERIFY(bad.validate().message().find("sends 'x' to 'narrator'") != std::string::npos);
}

QTEST_GUILESS_MAIN(TestDataLoader)
#include "test_dataloader.moc"

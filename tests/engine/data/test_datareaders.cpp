// Dataset readers and shapes end to end through previewDataset (no
// tokenizer: lengths in bytes): every committed fixture format and shape, line
// numbers, BOM / CRLF, folders, and every bad-input case with the file and
// line checked in the message, plus skipping bad records with a count.
#include "engine/data/chattemplate.h"
#include "engine/data/datasetpreview.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace engine::data;

namespace {

const QString kFixtures = QStringLiteral(LF_TEST_DATA_DIR "/datasets/");

std::string joined(const ExamplePreview &example)
{
    std::string text;
    for (const SpanPreview &span : example.spans)
        text += span.text;
    return text;
}

engine::Result<DatasetPreview> previewOf(const QString &path, DatasetConfig config = {})
{
    config.trainPath = path.toStdString();
    return previewDataset(config, nullptr, nullptr, 10);
}

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes)
{
    const QString path = dir.filePath(name);
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(bytes);
    return path;
}

} // namespace

class TestDataReaders : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fixtures_data();
    void fixtures();
    void bomAndCrlf();
    void jsonArrayLines();
    void jsonNamedJsonl();
    void folder();
    void textWholeFile();
    void overrideAndFieldMap();
    void templateChoice();
    void glueTestSplit();
    void badInput_data();
    void badInput();
    void skipBadRecords();
    void preferenceShapes();
};

void TestDataReaders::fixtures_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("shape");
    QTest::addColumn<int>("records");
    QTest::addColumn<QByteArray>("firstRender");
    QTest::addColumn<QString>("firstLabel");
    QTest::addColumn<int>("secondLine");
    QTest::newRow("sst2 tsv") << "sst2_train.tsv"
                              << "classification" << 3 << QByteArray("hide new secretions from the parental units ")
                              << "0" << 3;
    QTest::newRow("mnli tsv") << "mnli_train.tsv"
                              << "classification" << 3
                              << QByteArray(
                                     "Conceptually cream skimming has two basic dimensions - product and geography."
                                     "\nProduct and geography are what make cream skimming work. ")
                              << "neutral" << 3;
    QTest::newRow("alpaca json") << "alpaca.json"
                                 << "alpaca" << 2
                                 << QByteArray::fromStdString(alpacaPrompt("Give three tips for staying healthy.", "")
                                        + "1. Eat a balanced diet.\n2. Exercise regularly.\n3. Sleep well.</s>")
                                 << "" << 7;
    QTest::newRow("sharegpt jsonl") << "sharegpt.jsonl"
                                    << "sharegpt" << 2
                                    << QByteArray(
                                           "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>"
                                           "\n<|im_start|>assistant\nHello! How can I help?<|im_end|>\n")
                                    << "" << 2;
    QTest::newRow("messages jsonl") << "messages.jsonl"
                                    << "messages" << 2
                                    << QByteArray(
                                           "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n"
                                           "Capital of France?<|im_end|>\n<|im_start|>assistant\nParis.<|im_end|>\n")
                                    << "" << 3;
    QTest::newRow("prompt/completion csv")
        << "prompt_completion.csv"
        << "prompt_completion" << 2 << QByteArray("Say \"hi\", please: hi</s>") << "" << 3;
    QTest::newRow("text paragraphs") << "corpus.txt"
                                     << "text" << 3 << QByteArray("First paragraph, line one.\nLine two.</s>") << ""
                                     << 5;
    QTest::newRow("labelled jsonl") << "labelled.jsonl"
                                    << "classification" << 3 << QByteArray("hello") << "positive" << 2;
}

void TestDataReaders::fixtures()
{
    QFETCH(QString, file);
    QFETCH(QString, shape);
    QFETCH(int, records);
    QFETCH(QByteArray, firstRender);
    QFETCH(QString, firstLabel);
    QFETCH(int, secondLine);
    const auto preview = previewOf(kFixtures + file);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(QString::fromLatin1(shapeName(preview->shape)), shape);
    QCOMPARE(preview->records, records);
    QCOMPARE(preview->skippedRecords, 0);
    QVERIFY(preview->examples.size() >= 2);
    QCOMPARE(QByteArray::fromStdString(joined(preview->examples[0])), firstRender);
    QCOMPARE(QString::fromStdString(preview->examples[0].label), firstLabel);
    QCOMPARE(preview->examples[1].line, secondLine);
    QCOMPARE(QString::fromStdString(preview->examples[0].source), kFixtures + file);
}

// A BOM before the first record and CRLF line ends are invisible in the data.
void TestDataReaders::bomAndCrlf()
{
    QTemporaryDir dir;
    const QString path = writeFile(dir, "bom.jsonl", "\xEF\xBB\xBF{\"text\": \"a\"}\r\n{\"text\": \"b\\r\"}\r\n");
    const auto preview = previewOf(path);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(preview->records, 2);
    QCOMPARE(joined(preview->examples[0]), std::string("a</s>"));
    QCOMPARE(joined(preview->examples[1]), std::string("b\r</s>"));

    const QString csv = writeFile(dir, "bom.csv", "\xEF\xBB\xBFtext\r\nx\r\n");
    const auto fromCsv = previewOf(csv);
    QVERIFY2(fromCsv.isOk(), fromCsv.message().c_str());
    QCOMPARE(QString::fromLatin1(shapeName(fromCsv->shape)), QStringLiteral("text")); // header "text", not "\uFEFFtext"
}

// Elements of a streamed JSON array keep the line they start on; escapes and brackets in strings are handled.
void TestDataReaders::jsonArrayLines()
{
    QTemporaryDir dir;
    const QString path = writeFile(dir, "a.json",
        "\xEF\xBB\xBF[\n  {\"text\": \"one ] } \\\" [\"},\n\n  {\"text\":\n"
        "     \"two\"}, {\"text\": \"three\"}\n]\n");
    const auto preview = previewOf(path);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(preview->records, 3);
    QCOMPARE(joined(preview->examples[0]), std::string("one ] } \" [</s>"));
    QCOMPARE(preview->examples[0].line, 2);
    QCOMPARE(preview->examples[1].line, 4);
    QCOMPARE(preview->examples[2].line, 5);
}

// A .json file that holds JSON Lines is read as JSON Lines.
void TestDataReaders::jsonNamedJsonl()
{
    QTemporaryDir dir;
    const auto preview = previewOf(writeFile(dir, "lines.json", "{\"text\": \"a\"}\n{\"text\": \"b\"}\n"));
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(preview->records, 2);
}

// Folders: every dataset file below, in sorted path order; other files ignored.
void TestDataReaders::folder()
{
    QTemporaryDir dir;
    writeFile(dir, "b.jsonl", "{\"text\": \"from b\"}\n");
    writeFile(dir, "a/z.txt", "from a/z\n");
    writeFile(dir, "notes.md", "# not data\n");
    const auto preview = previewOf(dir.path());
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(preview->records, 2);
    QCOMPARE(joined(preview->examples[0]), std::string("from a/z</s>"));
    QCOMPARE(joined(preview->examples[1]), std::string("from b</s>"));

    QTemporaryDir empty;
    writeFile(empty, "readme.md", "x");
    const auto none = previewOf(empty.path());
    QVERIFY(!none.isOk());
    QVERIFY2(none.message().find("holds no dataset files") != std::string::npos, none.message().c_str());
}

void TestDataReaders::textWholeFile()
{
    DatasetConfig config;
    config.textUnit = TextUnit::File;
    const auto preview = previewOf(kFixtures + "corpus.txt", config);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(preview->records, 1);
    QCOMPARE(joined(preview->examples[0]),
        std::string("First paragraph, line one.\nLine two.\n\n\nSecond paragraph.\n  \nThird \xC3\xA9t\xC3\xA9.</s>"));
}

// Shape override and field map: a CSV with other column names read as prompt/completion.
void TestDataReaders::overrideAndFieldMap()
{
    QTemporaryDir dir;
    const QString path = writeFile(dir, "qa.csv", "question,answer,text\nQ1?,A1,ignored\n");
    DatasetConfig config;
    config.fieldMap = { { "prompt", "question" }, { "completion", "answer" } };
    auto preview = previewOf(path, config);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(preview->shape, Shape::PromptCompletion);
    QCOMPARE(joined(preview->examples[0]), std::string("Q1?A1</s>"));
    config.shape = Shape::Text;
    preview = previewOf(path, config);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(joined(preview->examples[0]), std::string("ignored</s>"));
}

// Alpaca records through a chosen chat template, the settings' system prompt, and the model's
// detected template (Qwen2's ChatML inserts its default system prompt).
void TestDataReaders::templateChoice()
{
    DatasetConfig config;
    config.chatTemplate = TemplateKind::Llama3;
    auto preview = previewOf(kFixtures + "alpaca.json", config);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(joined(preview->examples[1]),
        std::string("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nTranslate to French.\n\nGood "
                    "morning<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nBonjour<|eot_id|>"));

    config = DatasetConfig();
    config.systemPrompt = "Be nice.";
    preview = previewOf(kFixtures + "messages.jsonl", config);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QVERIFY(joined(preview->examples[1]).rfind("<|im_start|>system\nBe nice.<|im_end|>\n<|im_start|>user\n", 0) == 0);
    QVERIFY(joined(preview->examples[0]).rfind("<|im_start|>system\nYou are terse.", 0) == 0); // has its own

    const TemplateDetection qwen = detectChatTemplate(
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\n"
        "You are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] }}{% endfor %}");
    config = DatasetConfig();
    config.trainPath = (kFixtures + "messages.jsonl").toStdString();
    preview = previewDataset(config, nullptr, &qwen, 2);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QVERIFY(preview->warnings.empty());
    QCOMPARE(joined(preview->examples[1]).substr(0, 58),
        std::string("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"));
}

// GLUE's SST-2 test.tsv has no label: plain text from the 'sentence' column.
void TestDataReaders::glueTestSplit()
{
    QTemporaryDir dir;
    const auto preview
        = previewOf(writeFile(dir, "test.tsv", "index\tsentence\n0\tuneasy mishmash of styles \"and\" genres .\n"));
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(preview->shape, Shape::Text);
    QCOMPARE(joined(preview->examples[0]), std::string("uneasy mishmash of styles \"and\" genres .</s>"));
}

void TestDataReaders::badInput_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("settings"); // extra DatasetConfig JSON
    QTest::addColumn<QString>("expected"); // "<file>:<line>: <problem>" without the folder
    const QByteArray alpaca = "{\"instruction\": \"i\", \"output\": \"o\"}\n";
    QTest::newRow("invalid json") << "bad.jsonl" << QByteArray("{\"text\": \"a\"}\n\n{\"text\": \"b\",}\n") << ""
                                  << "bad.jsonl:3: invalid JSON";
    QTest::newRow("invalid utf8 jsonl") << "bad.jsonl" << QByteArray("{\"text\": \"a\"}\n{\"text\": \"\xC3\x28\"}\n")
                                        << ""
                                        << "bad.jsonl:2: invalid UTF-8";
    QTest::newRow("empty jsonl") << "bad.jsonl" << QByteArray("\n  \n") << ""
                                 << "bad.jsonl: the file has no records";
    QTest::newRow("empty json") << "bad.json" << QByteArray("") << ""
                                << "bad.json:1: the file is empty";
    QTest::newRow("empty array") << "bad.json" << QByteArray("[ ]") << ""
                                 << "bad.json:1: the JSON array is empty";
    QTest::newRow("empty csv") << "bad.csv" << QByteArray("") << ""
                               << "bad.csv: the file is empty";
    QTest::newRow("header only csv") << "bad.csv" << QByteArray("text,label\n") << ""
                                     << "bad.csv: the file has a header row but no records";
    QTest::newRow("empty txt") << "bad.txt" << QByteArray("\n\n") << ""
                               << "bad.txt: the file has no text";
    QTest::newRow("missing field") << "bad.jsonl" << alpaca + "{\"instruction\": \"i\"}\n"
                                   << ""
                                   << "bad.jsonl:2: field 'output' is missing";
    QTest::newRow("mistyped field") << "bad.jsonl" << QByteArray("{\"text\": \"a\"}\n{\"text\": 5}\n") << ""
                                    << "bad.jsonl:2: field 'text' must be a string, not number";
    QTest::newRow("empty text") << "bad.jsonl" << QByteArray("{\"text\": \"a\"}\n{\"text\": \"  \"}\n") << ""
                                << "bad.jsonl:2: field 'text' is empty";
    QTest::newRow("not an object") << "bad.jsonl" << QByteArray("{\"text\": \"a\"}\n[1, 2]\n") << ""
                                   << "bad.jsonl:2: the record is a JSON array, expected an object";
    QTest::newRow("unknown role") << "bad.jsonl"
                                  << QByteArray("{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}]}\n"
                                                "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, "
                                                "{\"role\": \"function_call\", \"content\": \"f\"}]}\n")
                                  << ""
                                  << "bad.jsonl:2: message 2 has unknown role 'function_call'";
    QTest::newRow("content not string") << "bad.jsonl"
                                        << QByteArray("{\"messages\": [{\"role\": \"user\", \"content\": null}]}\n")
                                        << ""
                                        << "bad.jsonl:1: message 1 has a content that is null, not a string";
    QTest::newRow("no messages") << "bad.jsonl" << QByteArray("{\"messages\": []}\n") << ""
                                 << "bad.jsonl:1: field 'messages' has no messages";
    QTest::newRow("template refuses") << "bad.jsonl"
                                      << QByteArray("{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, "
                                                    "{\"role\": \"assistant\", \"content\": \"a\"}]}\n"
                                                    "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, "
                                                    "{\"role\": \"user\", \"content\": \"q\"}]}\n")
                                      << "{\"chat_template\": \"mistral\"}"
                                      << "bad.jsonl:2: Conversation roles must alternate";
    QTest::newRow("absurdly long") << "bad.jsonl"
                                   << QByteArray("{\"text\": \"a\"}\n{\"text\": \"") + QByteArray(5000, 'x') + "\"}\n"
                                   << "{\"max_record_bytes\": 1024}"
                                   << "bad.jsonl:2: the record is longer than";
    QTest::newRow("absurdly long json element")
        << "bad.json" << QByteArray("[{\"text\": \"a\"},\n{\"text\": \"") + QByteArray(5000, 'x') + "\"}]"
        << "{\"max_record_bytes\": 1024}"
        << "bad.json:2: the record is longer than";
    QTest::newRow("bad json element") << "bad.json" << QByteArray("[\n {\"text\": \"a\"},\n {\"text\":\n  tru}\n]")
                                      << ""
                                      << "bad.json:4: invalid JSON";
    QTest::newRow("scalar json element") << "bad.json" << QByteArray("[{\"text\": \"a\"},\n 7]") << ""
                                         << "bad.json:2: the record is a JSON number";
    QTest::newRow("unclosed json array") << "bad.json" << QByteArray("[{\"text\": \"a\"},\n{\"text\": \"b\"") << ""
                                         << "bad.json:2: the file ends inside the JSON array";
    QTest::newRow("not an array") << "bad.json" << QByteArray("\n\"text\"") << ""
                                  << "bad.json:2: expected a JSON array of records";
    QTest::newRow("csv column count") << "bad.csv" << QByteArray("text,label\na,1\nb,2,3\n") << ""
                                      << "bad.csv:3: the row has 3 columns, the header has 2";
    QTest::newRow("csv unclosed quote") << "bad.csv" << QByteArray("text,label\n\"a,1\nb,2\n") << ""
                                        << "bad.csv:2: a quoted field is not closed";
    QTest::newRow("tsv invalid utf8") << "bad.tsv" << QByteArray("sentence\tlabel\na\t1\n\xFF\t0\n") << ""
                                      << "bad.tsv:3: invalid UTF-8";
    QTest::newRow("tsv column count") << "bad.tsv" << QByteArray("sentence\tlabel\na\t1\tx\n") << ""
                                      << "bad.tsv:2: the row has 3 columns, the header has 2";
    QTest::newRow("txt invalid utf8") << "bad.txt" << QByteArray("para one\n\npara two\nline \xED\xA0\x80\n") << ""
                                      << "bad.txt:4: invalid UTF-8";
    QTest::newRow("preference without rejected")
        << "bad.jsonl"
        << QByteArray("{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n"
                      "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": null}\n")
        << "" << "bad.jsonl:2: field 'rejected' is missing";
    QTest::newRow("preference with the same answers")
        << "bad.jsonl"
        << QByteArray("{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n"
                      "{\"prompt\": \"q\", \"chosen\": \"same\", \"rejected\": \"same\"}\n")
        << "" << "bad.jsonl:2: fields 'chosen' and 'rejected' are the same answer";
    QTest::newRow("preference answer from the user")
        << "bad.jsonl"
        << QByteArray("{\"prompt\": \"p\", \"chosen\": [{\"role\": \"user\", \"content\": \"a\"}], "
                      "\"rejected\": \"b\"}\n")
        << "" << "bad.jsonl:1: field 'chosen' holds a user message";
    QTest::newRow("unknown shape") << "bad.jsonl" << QByteArray("{\"foo\": \"p\", \"bar\": 1}\n") << ""
                                   << "bad.jsonl:1: cannot tell the dataset shape from the fields 'bar', 'foo'";
    QTest::newRow("unsupported extension") << "bad.parquet" << QByteArray("PAR1") << ""
                                           << "bad.parquet' has an unsupported extension '.parquet'";
    QTest::newRow("bad settings") << "ok.jsonl" << QByteArray("{\"text\": \"a\"}\n") << "{\"max_length\": 1}"
                                  << "dataset settings: maximum length 1 is outside";
}

// Every bad input fails with a message naming the file and the line of the problem.
void TestDataReaders::badInput()
{
    QFETCH(QString, file);
    QFETCH(QByteArray, content);
    QFETCH(QString, settings);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString path = writeFile(dir, file, content);
    DatasetConfig config;
    if (!settings.isEmpty()) {
        auto parsed = datasetConfigFromJson(settings.toStdString());
        QVERIFY2(parsed.isOk(), parsed.message().c_str());
        config = parsed.value();
    }
    const auto preview = previewOf(path, config);
    QVERIFY(!preview.isOk());
    const QString message = QString::fromStdString(preview.message());
    QVERIFY2(message.contains(expected), qPrintable(message));
    if (expected.startsWith(QStringLiteral("bad")) && !expected.contains(QLatin1Char('\'')))
        QVERIFY2(message.startsWith(dir.path()), qPrintable(message)); // the full path as given
}

// With skipping on, bad records are counted and their messages kept; good ones are read.
void TestDataReaders::skipBadRecords()
{
    QTemporaryDir dir;
    const QString path = writeFile(dir, "mixed.jsonl",
        "{\"text\": \"one\"}\n{\"text\": }\n{\"text\": \"three\"}\n{\"text\": 4}\n"
        "{\"text\": \"\xFF\"}\n{\"text\": \"six\"}\n");
    DatasetConfig config;
    config.skipBadRecords = true;
    const auto preview = previewOf(path, config);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(preview->records, 3);
    QCOMPARE(preview->skippedRecords, 3);
    QCOMPARE(preview->skippedMessages.size(), std::size_t(3));
    QVERIFY(
        QString::fromStdString(preview->skippedMessages[0]).contains(QStringLiteral("mixed.jsonl:2: invalid JSON")));
    QVERIFY(
        QString::fromStdString(preview->skippedMessages[1]).contains(QStringLiteral("mixed.jsonl:4: field 'text'")));
    QVERIFY(
        QString::fromStdString(preview->skippedMessages[2]).contains(QStringLiteral("mixed.jsonl:5: invalid UTF-8")));
    QCOMPARE(preview->examples[2].line, 6);
}

// Preference records: a string prompt with string answers renders as prompt +
// answer + eos; a conversation (prompt as messages, or 'messages') renders
// through the template with assistant-message answers. Only the answers are
// trained; each record gives its chosen, then its rejected example. Bad
// pairs are skipped and named when skipping is on.
void TestDataReaders::preferenceShapes()
{
    QTemporaryDir dir;
    const QString path = writeFile(dir, "pairs.jsonl",
        "{\"prompt\": \"Q:\", \"chosen\": \" good\", \"rejected\": \" bad\"}\n"
        "{\"prompt\": [{\"role\": \"user\", \"content\": \"hi\"}], "
        "\"chosen\": [{\"role\": \"assistant\", \"content\": \"hello\"}], \"rejected\": \"go away\"}\n"
        "{\"prompt\": \"same\", \"chosen\": \"x\", \"rejected\": \"x\"}\n"
        "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}, "
        "{\"role\": \"user\", \"content\": \"c\"}], \"chosen\": \"yes\", \"rejected\": \"no\"}\n");
    DatasetConfig config;
    config.skipBadRecords = true;
    const auto preview = previewOf(path, config);
    QVERIFY2(preview.isOk(), preview.message().c_str());
    QCOMPARE(preview->shape, Shape::Preference);
    QCOMPARE(preview->records, 3);
    QCOMPARE(preview->skippedRecords, 1);
    QVERIFY(QString::fromStdString(preview->skippedMessages[0]).contains(QStringLiteral("pairs.jsonl:3: fields")));
    QCOMPARE(preview->examples.size(), std::size_t(6));
    auto trainedText = [](const ExamplePreview &example) {
        std::string text;
        for (const SpanPreview &span : example.spans)
            text += span.trained ? span.text : std::string();
        return text;
    };
    QCOMPARE(preview->examples[0].pairRole, PairRole::Chosen);
    QCOMPARE(preview->examples[1].pairRole, PairRole::Rejected);
    QCOMPARE(joined(preview->examples[0]), std::string("Q: good</s>"));
    QCOMPARE(trainedText(preview->examples[1]), std::string(" bad</s>"));
    QCOMPARE(joined(preview->examples[2]), std::string("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
                                                       "hello<|im_end|>\n"));
    QCOMPARE(trainedText(preview->examples[3]), std::string("go away<|im_end|>"));
    QCOMPARE(preview->examples[4].line, 4);
    QCOMPARE(trainedText(preview->examples[4]), std::string("yes<|im_end|>")); // the earlier answer 'b' is not trained
    QVERIFY(joined(preview->examples[5]).find("assistant\nb<|im_end|>") != std::string::npos);
}

QTEST_GUILESS_MAIN(TestDataReaders)
#include "test_datareaders.moc"

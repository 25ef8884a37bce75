// Built-in chat templates (Gemma 3's and Phi-3.5's included) against jinja2 renders of the real templates
// (tests/data/datasets/chat_renders.json, made by render_chat_templates.py)
// and the expected strings of formats.md §6.2; trained/masked segments;
// template recognition from strings and model folders.
#include "engine/data/chattemplate.h"
#include "engine/data/chattemplatedetector.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace engine::data;

namespace {

std::vector<Message> conversation(std::initializer_list<std::pair<const char *, const char *>> turns)
{
    std::vector<Message> messages;
    for (const auto &[role, content] : turns)
        messages.push_back({ role, content, true });
    return messages;
}

TemplateKind kindOf(const QString &name)
{
    return *templateFromName(name.toStdString());
}

ChatTemplate templateFor(TemplateKind kind, const QString &bos, const QString &eos)
{
    ChatTemplate t = builtinTemplate(kind);
    t.bosToken = bos.toStdString();
    t.eosToken = eos.toStdString();
    if (kind == TemplateKind::ChatML)
        t.defaultSystem = "You are a helpful assistant.";
    return t;
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes);
}

} // namespace

class TestChatTemplates : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void jinjaRenders_data();
    void jinjaRenders();
    void formatsReference_data();
    void formatsReference();
    void trainedSegments_data();
    void trainedSegments();
    void alpacaPrompt();
    void detection_data();
    void detection();
    void modelFolder();
};

void TestChatTemplates::jinjaRenders_data()
{
    QTest::addColumn<QJsonObject>("row");
    QFile file(QStringLiteral(LF_TEST_DATA_DIR "/datasets/chat_renders.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonArray rows = QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("rows")).toArray();
    QVERIFY(rows.size() >= 40);
    for (const QJsonValue &v : rows) {
        const QJsonObject row = v.toObject();
        const QString name = row[QStringLiteral("template")].toString() + QLatin1Char('/')
            + row[QStringLiteral("conversation")].toString()
            + (row[QStringLiteral("generation")].toBool() ? QStringLiteral("/gen") : QString());
        QTest::newRow(qPrintable(name)) << row;
    }
}

// Byte-exact equality with jinja2, or the same refusal.
void TestChatTemplates::jinjaRenders()
{
    QFETCH(QJsonObject, row);
    const ChatTemplate t = templateFor(kindOf(row[QStringLiteral("template")].toString()),
        row[QStringLiteral("bos")].toString(), row[QStringLiteral("eos")].toString());
    std::vector<Message> messages;
    for (const QJsonValue &m : row[QStringLiteral("messages")].toArray())
        messages.push_back({ m[QStringLiteral("role")].toString().toStdString(),
            m[QStringLiteral("content")].toString().toStdString(), true });
    const bool generation = row[QStringLiteral("generation")].toBool();
    if (row.contains(QStringLiteral("error"))) {
        try {
            renderChat(t, messages, generation);
            QFAIL("the template should refuse this conversation");
        } catch (const engine::Error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).startsWith(row[QStringLiteral("error")].toString()), e.what());
        }
        return;
    }
    const std::string rendered = joinSegments(renderChat(t, messages, generation));
    QCOMPARE(QString::fromStdString(rendered), row[QStringLiteral("render")].toString());
}

void TestChatTemplates::formatsReference_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("chatml") << "chatml"
                            << QByteArray(
                                   "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n<|im_start|>"
                                   "assistant\nA1<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n<|im_start|>assistant\n");
    QTest::newRow("llama3") << "llama3"
                            << QByteArray(
                                   "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_"
                                   "header_id|>user<|end_header_id|>\n\nU1<|eot_id|><|start_header_id|>assistant<|end_"
                                   "header_id|>\n\nA1<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU2<|eot_id|>"
                                   "<|start_header_id|>assistant<|end_header_id|>\n\n");
    QTest::newRow("llama2") << "llama2"
                            << QByteArray("<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 </s><s>[INST] U2 [/INST]");
    QTest::newRow("zephyr") << "zephyr"
                            << QByteArray(
                                   "<|system|>\nS</s>\n<|user|>\nU1</s>\n<|assistant|>\nA1</s>\n<|user|>\nU2</s>\n"
                                   "<|assistant|>\n");
    QTest::newRow("mistral") << "mistral" << QByteArray("<s>[INST] U1 [/INST]A1</s>[INST] U2 [/INST]");
}

// The renders quoted in formats.md §6.2 for [system S, user U1, assistant A1, user U2], generation prompt on.
void TestChatTemplates::formatsReference()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, expected);
    const TemplateKind kind = kindOf(name);
    auto messages = conversation({ { "system", "S" }, { "user", "U1" }, { "assistant", "A1" }, { "user", "U2" } });
    if (kind == TemplateKind::Mistral)
        messages.erase(messages.begin()); // v0.1 refuses a system message
    const std::string rendered = joinSegments(renderChat(builtinTemplate(kind), messages, true));
    QCOMPARE(QByteArray::fromStdString(rendered), expected);
}

void TestChatTemplates::trainedSegments_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("masked"); // the masked segments in order
    QTest::addColumn<QStringList>("trained"); // the trained segments in order
    QTest::newRow("chatml") << "chatml"
                            << QStringList { "<|im_start|>user\nU1<|im_end|>\n<|im_start|>assistant\n", "\n" }
                            << QStringList { "A1<|im_end|>" };
    QTest::newRow("llama3") << "llama3"
                            << QStringList { "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nU1<|eot_id|>"
                                             "<|start_header_id|>assistant<|end_header_id|>\n\n" }
                            << QStringList { "A1<|eot_id|>" };
    QTest::newRow("llama2") << "llama2" << QStringList { "<s>[INST] U1 [/INST]" } << QStringList { " A1 </s>" };
    QTest::newRow("mistral") << "mistral" << QStringList { "<s>[INST] U1 [/INST]" } << QStringList { "A1</s>" };
    QTest::newRow("zephyr") << "zephyr" << QStringList { "<|user|>\nU1</s>\n<|assistant|>\n", "\n" }
                            << QStringList { "A1</s>" };
    QTest::newRow("alpaca")
        << "alpaca"
        << QStringList { "Below is an instruction that describes a task. Write a response that "
                         "appropriately completes the request.\n\n### Instruction:\nU1\n\n### Response:" }
        << QStringList { "A1</s>" };
    QTest::newRow("raw") << "raw" << QStringList { "U1\n" } << QStringList { "A1</s>" };
    QTest::newRow("gemma") << "gemma"
                           << QStringList { "<bos><start_of_turn>user\nU1<end_of_turn>\n<start_of_turn>model\n", "\n" }
                           << QStringList { "A1<end_of_turn>" };
    QTest::newRow("phi3") << "phi3"
                          << QStringList { "<|user|>\nU1<|end|>\n<|assistant|>\n", "\n<|endoftext|>" }
                          << QStringList { "A1<|end|>" };
}

// Assistant content and its end-of-turn token are trained; headers and other turns are masked.
void TestChatTemplates::trainedSegments()
{
    QFETCH(QString, name);
    QFETCH(QStringList, masked);
    QFETCH(QStringList, trained);
    const auto segments
        = renderChat(builtinTemplate(kindOf(name)), conversation({ { "user", "U1" }, { "assistant", "A1" } }));
    QStringList gotMasked;
    QStringList gotTrained;
    for (const Segment &s : segments)
        (s.trained ? gotTrained : gotMasked) << QString::fromStdString(s.text);
    QCOMPARE(gotMasked, masked);
    QCOMPARE(gotTrained, trained);
    // An assistant turn marked "weight": 0 is not trained at all.
    auto messages = conversation({ { "user", "U1" }, { "assistant", "A1" } });
    messages[1].trained = false;
    for (const Segment &s : renderChat(builtinTemplate(kindOf(name)), messages))
        QVERIFY(!s.trained);
}

// tatsu-lab/stanford_alpaca PROMPT_DICT, quoted in formats.md §7.1.
void TestChatTemplates::alpacaPrompt()
{
    QCOMPARE(QByteArray::fromStdString(engine::data::alpacaPrompt("Add.", "2, 3")),
        QByteArray("Below is an instruction that describes a task, paired with an input that provides further "
                   "context. Write a response that appropriately completes the request.\n\n### Instruction:\nAdd."
                   "\n\n### Input:\n2, 3\n\n### Response:"));
    QCOMPARE(QByteArray::fromStdString(engine::data::alpacaPrompt("Say hi.", "")),
        QByteArray("Below is an instruction that describes a task. Write a response that appropriately completes "
                   "the request.\n\n### Instruction:\nSay hi.\n\n### Response:"));
}

void TestChatTemplates::detection_data()
{
    QTest::addColumn<QString>("jinja");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<bool>("exact");
    QTest::addColumn<QString>("defaultSystem");
    QFile file(QStringLiteral(LF_TEST_DATA_DIR "/datasets/chat_renders.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    // The real templates that render_chat_templates.py ran.
    const QJsonObject templates
        = QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("templates")).toObject();
    auto quoted = [&](const QString &name) { return templates.value(name).toString(); };
    QTest::newRow("qwen2 chatml") << quoted(QStringLiteral("chatml")) << "chatml" << true
                                  << "You are a helpful assistant.";
    QTest::newRow("llama3") << quoted(QStringLiteral("llama3")) << "llama3" << true << "";
    QTest::newRow("llama2") << quoted(QStringLiteral("llama2")) << "llama2" << true << "";
    QTest::newRow("mistral v0.1") << quoted(QStringLiteral("mistral")) << "mistral" << true << "";
    QTest::newRow("zephyr") << quoted(QStringLiteral("zephyr")) << "zephyr" << true << "";
    QTest::newRow("llama3.1") << "<|start_header_id|>system<|end_header_id|>Cutting Knowledge Date: December 2023"
                              << "llama3" << false << "";
    QTest::newRow("mistral v7") << "[SYSTEM_PROMPT]{{ x }}[/SYSTEM_PROMPT][INST]"
                                << "mistral" << false << "";
    QTest::newRow("phi3") << "<|user|>\n{{ m }}<|end|>\n<|assistant|>"
                          << "phi3" << true << "";
    QTest::newRow("phi3.5 quoted") << quoted(QStringLiteral("phi3")) << "phi3" << true << "";
    QTest::newRow("phi4-mini") << "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}<|user|><|assistant|>"
                               << "phi3" << false << "";
    QTest::newRow("gemma") << "<start_of_turn>user\n"
                           << "gemma" << true << "";
    QTest::newRow("gemma3 quoted") << quoted(QStringLiteral("gemma")) << "gemma" << true << "";
    QTest::newRow("gemma2 refuses system")
        << "{{ raise_exception('System role not supported') }}<start_of_turn>{{ role }}"
        << "gemma" << false << "";
    QTest::newRow("unknown") << "{{ messages[0].content }}"
                             << "chatml" << false << "";
    QTest::newRow("none") << ""
                          << "chatml" << false << "";
}

// Exact matches carry no warning; approximations and fallbacks always do.
void TestChatTemplates::detection()
{
    QFETCH(QString, jinja);
    QFETCH(QString, kind);
    QFETCH(bool, exact);
    QFETCH(QString, defaultSystem);
    const TemplateDetection d = detectChatTemplate(jinja.toStdString());
    QCOMPARE(QString::fromLatin1(templateName(d.chatTemplate.kind)), kind);
    QCOMPARE(d.warning.empty(), exact);
    QCOMPARE(QString::fromStdString(d.chatTemplate.defaultSystem), defaultSystem);
}

// Look-up order chat_template.jinja > tokenizer_config.json, the list form, and bos/eos strings.
void TestChatTemplates::modelFolder()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config = dir.filePath(QStringLiteral("tokenizer_config.json"));
    writeFile(config, R"J({"bos_token": {"content": "<BOS>", "__type": "AddedToken"}, "eos_token": "<EOS>",
                          "chat_template": "{{ bos_token }}[INST] <<SYS>> content.strip()"})J");
    auto d = detectModelChatTemplate(dir.path().toStdString());
    QVERIFY2(d.isOk(), d.message().c_str());
    QCOMPARE(d->chatTemplate.kind, TemplateKind::Llama2);
    QCOMPARE(d->chatTemplate.bosToken, std::string("<BOS>"));
    QCOMPARE(d->chatTemplate.eosToken, std::string("<EOS>"));
    QCOMPARE(QString::fromStdString(d->source), config);

    writeFile(config, R"J({"chat_template": [{"name": "tool_use", "template": "x"},
                                            {"name": "default", "template": "<|im_start|>"}]})J");
    d = detectModelChatTemplate(dir.path().toStdString());
    QVERIFY2(d.isOk(), d.message().c_str());
    QCOMPARE(d->chatTemplate.kind, TemplateKind::ChatML);

    writeFile(dir.filePath(QStringLiteral("chat_template.jinja")), "<|user|>\n<|assistant|>\n{{ eos_token }}");
    d = detectModelChatTemplate(dir.path().toStdString());
    QVERIFY2(d.isOk(), d.message().c_str());
    QCOMPARE(d->chatTemplate.kind, TemplateKind::Zephyr);

    writeFile(config, "{not json");
    d = detectModelChatTemplate(dir.path().toStdString());
    QVERIFY(!d.isOk());
    QVERIFY2(d.message().find("tokenizer_config.json") != std::string::npos, d.message().c_str());

    QTemporaryDir empty;
    d = detectModelChatTemplate(empty.path().toStdString());
    QVERIFY(d.isOk());
    QVERIFY(!d->recognised);
    QVERIFY(!d->warning.empty());
}

QTEST_GUILESS_MAIN(TestChatTemplates)
#include "test_chattemplates.moc"

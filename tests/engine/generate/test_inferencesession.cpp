// The public inference facade on tiny model folders: opening (and its
// errors), chat prompts through the detected template, stop ids from
// generation_config.json, evaluation against the PyTorch reference, and the
// one-call-at-a-time rule.
#include "engine/generate/inferencesession.h"
#include "tests/engine/generate/tinylm.h"
#include "tests/engine/model/tinymodel.h"

#include <QTemporaryDir>
#include <QTest>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

std::unique_ptr<engine::InferenceSession> openSession(const QString &dir)
{
    auto session = engine::InferenceSession::open(dir.toStdString());
    if (!session)
        qFatal("%s", session.message().c_str());
    return std::move(session).value();
}

tinylm::Folder folderOf(const std::string &modelType)
{
    tinylm::Folder folder;
    folder.modelType = modelType;
    return folder;
}

engine::GenerationPrompt raw(const std::string &text)
{
    engine::GenerationPrompt prompt;
    prompt.text = text;
    return prompt;
}

const char kChatExpected[] = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                             "<|im_start|>assistant\n";

} // namespace

class TestInferenceSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void openReportsWhatIsWrong()
    {
        auto missing = engine::InferenceSession::open("/no/such/model");
        QVERIFY(!missing);
        QVERIFY2(QString::fromStdString(missing.message()).contains("/no/such/model"), missing.message().c_str());
        QTemporaryDir dir;
        tinylm::writeFolder(dir.path(), folderOf("gpt2"));
        auto device = engine::InferenceSession::open(dir.path().toStdString(), "tpu");
        QVERIFY(!device);
        QVERIFY2(QString::fromStdString(device.message()).contains("device 'tpu'"), device.message().c_str());
    }

    void infoDescribesTheModel()
    {
        QTemporaryDir dir;
        tinylm::writeFolder(dir.path(), folderOf("llama"));
        const auto session = openSession(dir.path());
        const engine::InferenceSessionInfo &info = session->info();
        QCOMPARE(info.modelType, std::string("llama"));
        QCOMPARE(info.device, std::string("cpu"));
        QCOMPARE(info.contextLength, std::int64_t(64));
        QCOMPARE(info.vocabSize, std::int64_t(tinylm::vocabSize(false)));
        QCOMPARE(info.chatTemplate, std::string("chatml"));
        QVERIFY(info.chatTemplateRecognised);
        QVERIFY(info.adapterFolder.empty());
    }

    void chatPromptsUseTheModelsTemplate()
    {
        QTemporaryDir dir;
        tinylm::writeFolder(dir.path(), folderOf("llama"));
        const auto session = openSession(dir.path());
        engine::GenerationPrompt chat;
        chat.messages = { { "system", "Be brief.", true }, { "user", "Hi!", true } };
        QCOMPARE(session->renderPrompt(chat).value(), std::string(kChatExpected));
        const auto ids = session->promptIds(chat);
        QVERIFY(ids.isOk());
        QCOMPARE(ids.value().front(), tinylm::kImStart);
        QCOMPARE(ids.value(), session->tokenizer().encode(kChatExpected));
        const auto result = session->generate(chat, engine::greedyOptions(5));
        QVERIFY2(result.isOk(), result.message().c_str());
        QCOMPARE(result.value().promptTokens, std::int64_t(ids.value().size()));
    }

    void invalidOptionsAndPromptsAreErrors()
    {
        QTemporaryDir dir;
        tinylm::writeFolder(dir.path(), folderOf("gpt2"));
        const auto session = openSession(dir.path());
        engine::GenerationOptions options;
        options.topP = 0.0;
        const auto invalid = session->generate(raw("Hi"), options);
        QVERIFY(!invalid);
        QVERIFY2(QString::fromStdString(invalid.message()).contains("top-p"), invalid.message().c_str());
        const auto tooLong = session->generate(raw(std::string(30, 'a')), engine::greedyOptions(3));
        QVERIFY(!tooLong);
        QVERIFY2(QString::fromStdString(tooLong.message()).contains("context is 24 tokens"), tooLong.message().c_str());
        // An empty prompt starts from the BOS token (<|endoftext|> here, as GPT-2 does).
        const auto empty = session->generate(raw(""), engine::greedyOptions(3));
        QVERIFY2(empty.isOk(), empty.message().c_str());
        QCOMPARE(empty.value().promptTokens, std::int64_t(1));
    }

    void generationConfigEosListStopsGeneration()
    {
        QTemporaryDir dir;
        tinylm::Folder folder = folderOf("llama");
        tinylm::writeFolder(dir.path(), folder);
        const auto free = openSession(dir.path())->generate(raw("Hi "), engine::greedyOptions(20));
        QVERIFY(free.isOk());
        QVERIFY2(free.value().newTokens >= 6, qPrintable(QString::number(free.value().newTokens)));
        const engine::TokenId stop = free.value().tokenIds[5];
        folder.generationConfig = "{\"eos_token_id\": [96, " + std::to_string(stop) + "]}";
        tinylm::writeFolder(dir.path(), folder);
        const auto stopped = openSession(dir.path())->generate(raw("Hi "), engine::greedyOptions(20));
        QVERIFY(stopped.isOk());
        QCOMPARE(stopped.value().stopReason, engine::StopReason::Eos);
        const auto &ids = free.value().tokenIds;
        QCOMPARE(stopped.value().tokenIds,
                 std::vector<std::int32_t>(ids.begin(), std::find(ids.begin(), ids.end(), stop)));
    }

    void evaluateMatchesTheReference()
    {
        QTemporaryDir dir;
        tinylm::writeFolder(dir.path(), folderOf("gpt2"));
        const auto session = openSession(dir.path());
        const std::string text = "Tiny models\npredict badly.";
        const auto evaluation = session->evaluate(text);
        QVERIFY2(evaluation.isOk(), evaluation.message().c_str());
        const engine::TextEvaluation &e = evaluation.value();
        const std::vector<engine::TokenId> ids = session->tokenizer().encode(text);
        QCOMPARE(e.textTokens, std::int64_t(ids.size()));
        QCOMPARE(e.windows, std::int64_t(2)); // 26 tokens, window = the context of 24
        QCOMPARE(e.windowLength, std::int64_t(24));
        QCOMPARE(e.tokens.size(), ids.size() - 1);
        double sum = 0.0;
        for (std::size_t i = 0; i < e.tokens.size(); ++i) {
            QCOMPARE(e.tokens[i].position, std::int64_t(i + 1));
            QCOMPARE(e.tokens[i].id, ids[i + 1]);
            QCOMPARE(e.tokens[i].text, session->tokenizer().decode({ ids[i + 1] }));
            sum += e.tokens[i].loss;
        }
        QCOMPARE(e.tokens[10].text, std::string("\n"));
        QVERIFY(std::abs(e.meanLoss - sum / double(e.tokens.size())) < 1e-12);
        QVERIFY(std::abs(e.perplexity - std::exp(e.meanLoss)) < 1e-9 * e.perplexity);
        // Independent: the float64 reference on one window of 20 tokens.
        const auto short20 = session->evaluate(text.substr(0, 20));
        QVERIFY(short20.isOk());
        QString skip;
        const std::vector<std::int64_t> wide(ids.begin(), ids.begin() + 20);
        const torch::Tensor logits = tiny::referenceLogits(dir.path(), torch::tensor(wide).unsqueeze(0), skip);
        if (!logits.defined())
            QSKIP(qPrintable(skip));
        const torch::Tensor logProbs = torch::log_softmax(logits[0].to(torch::kFloat64), -1); // (T, V)
        double expected = 0.0;
        for (int t = 1; t < 20; ++t)
            expected -= logProbs[t - 1][wide[std::size_t(t)]].item<double>();
        expected /= 19.0;
        QVERIFY2(std::abs(short20.value().meanLoss - expected) <= 1e-5 * expected,
                 qPrintable(QStringLiteral("%1 vs %2").arg(short20.value().meanLoss, 0, 'g', 12).arg(expected, 0, 'g', 12)));
    }

    void oneCallAtATime()
    {
        QTemporaryDir dir;
        tinylm::writeFolder(dir.path(), folderOf("llama"));
        const auto session = openSession(dir.path());
        std::mutex mutex;
        std::condition_variable changed;
        bool generating = false, checked = false;
        std::thread worker([&] {
            const auto result = session->generate(raw("Hi "), engine::greedyOptions(30), [&](const std::string &) {
                std::unique_lock<std::mutex> lock(mutex);
                generating = true;
                changed.notify_all();
                changed.wait(lock, [&] { return checked; });
                return true;
            });
            QVERIFY(result.isOk());
        });
        {
            std::unique_lock<std::mutex> lock(mutex);
            changed.wait(lock, [&] { return generating; });
        }
        const auto busy = session->evaluate("Hello there");
        QVERIFY(!busy);
        QVERIFY2(QString::fromStdString(busy.message()).contains("busy"), busy.message().c_str());
        {
            std::lock_guard<std::mutex> lock(mutex);
            checked = true;
        }
        changed.notify_all();
        worker.join();
        QVERIFY(session->evaluate("Hello there").isOk());
    }
};

QTEST_GUILESS_MAIN(TestInferenceSession)
#include "test_inferencesession.moc"

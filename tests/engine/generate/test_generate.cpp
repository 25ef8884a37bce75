// The generation loop and per-token losses on tiny random models: greedy
// decoding with the KV cache against argmax over repeated full forward passes
// (and the PyTorch reference), sampling seeds, top-k 1 / tiny top-p against
// greedy, stop strings across tokens, eos, token and context limits,
// cancellation from another thread, UTF-8-safe streaming, and token losses
// against log-softmax of full forward passes and the PyTorch reference.
#include "engine/generate/textgenerator.h"
#include "engine/generate/tokenlosses.h"
#include "engine/tokenizer/tokenizerloader.h"
#include "tests/engine/generate/tinylm.h"
#include "tests/engine/model/tinymodel.h"

#include <QTemporaryDir>
#include <QTest>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

struct Loaded
{
    std::unique_ptr<engine::CausalLm> model;
    std::unique_ptr<engine::Tokenizer> tokenizer;
};

Loaded load(const QString &dir, const tinylm::Folder &folder)
{
    tinylm::writeFolder(dir, folder);
    Loaded loaded;
    loaded.model = std::make_unique<engine::CausalLm>(engine::loadCausalLm(dir.toStdString()));
    auto tokenizer = engine::loadTokenizer(dir.toStdString());
    if (!tokenizer)
        qFatal("%s", tokenizer.message().c_str());
    loaded.tokenizer = std::move(tokenizer).value();
    return loaded;
}

tinylm::Folder folderOf(const QString &modelType, const std::string &extra = "{}")
{
    tinylm::Folder folder;
    folder.modelType = modelType.toStdString();
    folder.extraConfig = extra;
    return folder;
}

// Generation without stop ids (the random model may produce eos early).
engine::GenerationResult run(const Loaded &m, const std::vector<engine::TokenId> &prompt,
    const engine::GenerationOptions &options, const engine::TextCallback &onText = {},
    const std::atomic<bool> *cancel = nullptr, const std::vector<engine::TokenId> &stopIds = {})
{
    return engine::generateTokens(*m.model, *m.tokenizer, prompt, stopIds, options, onText, cancel);
}

torch::Tensor idsTensor(const std::vector<engine::TokenId> &ids)
{
    return torch::tensor(std::vector<std::int64_t>(ids.begin(), ids.end()), torch::kInt64).unsqueeze(0); // (1, T)
}

bool validUtf8(const std::string &text)
{
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        const std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3 : (byte >> 3) == 0x1E ? 4 : 0;
        if (length == 0 || i + length > text.size())
            return false;
        for (std::size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80)
                return false;
        i += length;
    }
    return true;
}

const char kPositions64[] = kPositions64;
const char kEosList[] = R"({"eos_token_id": [96, 98]})";
const char kPositions10[] = kPositions10;

// The first `count` generated tokens that produce text (special tokens add none): how many tokens that takes.
std::size_t tokensForPieces(const std::vector<engine::TokenId> &ids, int count)
{
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (ids[i] < tinylm::kEndOfText && --count == 0)
            return i + 1;
    return ids.size();
}

const std::vector<engine::TokenId> kPrompt = { tinylm::idOf('H'), tinylm::idOf('i'), tinylm::kSpace };

} // namespace

class TestGenerate : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(2); }

    void greedyEqualsArgmaxOfFullForwards_data()
    {
        QTest::addColumn<QString>("modelType");
        QTest::newRow("gpt2") << "gpt2";
        QTest::newRow("llama") << "llama";
    }

    void greedyEqualsArgmaxOfFullForwards()
    {
        QFETCH(QString, modelType);
        QTemporaryDir dir;
        const Loaded m = load(dir.path(), folderOf(modelType, kPositions64));
        const engine::GenerationResult result = run(m, kPrompt, engine::greedyOptions(16));
        QCOMPARE(result.newTokens, std::int64_t(16));
        QCOMPARE(result.stopReason, engine::StopReason::MaxTokens);
        QCOMPARE(result.promptTokens, std::int64_t(kPrompt.size()));
        // Independent: recompute the whole sequence without a cache at every step.
        std::vector<engine::TokenId> sequence = kPrompt;
        torch::NoGradGuard noGrad;
        for (int step = 0; step < 16; ++step) {
            const torch::Tensor logits = m.model->forward(idsTensor(sequence)); // (1, T, V)
            sequence.push_back(static_cast<engine::TokenId>(logits[0][-1].argmax().item<std::int64_t>()));
        }
        const std::vector<engine::TokenId> expected(sequence.begin() + 3, sequence.end());
        QCOMPARE(result.tokenIds, expected);
        QCOMPARE(result.text, m.tokenizer->decode(expected, true));
        // And the float64 PyTorch reference agrees with every greedy choice.
        QString skip;
        const torch::Tensor reference = tiny::referenceLogits(dir.path(), idsTensor(sequence), skip); // (1, T, V)
        if (!reference.defined())
            QSKIP(qPrintable(skip));
        for (int step = 0; step < 16; ++step)
            QCOMPARE(reference[0][2 + step].argmax().item<std::int64_t>(), std::int64_t(expected[step]));
    }

    void sameSeedSameTextOtherSeedOtherText()
    {
        QTemporaryDir dir;
        const Loaded m = load(dir.path(), folderOf("llama"));
        engine::GenerationOptions options;
        options.temperature = 1.0;
        options.topK = 0;
        options.topP = 1.0;
        options.maxNewTokens = 24;
        options.seed = 11;
        const std::string first = run(m, kPrompt, options).text;
        QCOMPARE(run(m, kPrompt, options).text, first);
        options.seed = 12;
        QVERIFY(run(m, kPrompt, options).text != first); // equal by chance with negligible probability
    }

    void topKOneAndTinyTopPEqualGreedy()
    {
        QTemporaryDir dir;
        const Loaded m = load(dir.path(), folderOf("gpt2", kPositions64));
        const std::vector<engine::TokenId> greedy = run(m, kPrompt, engine::greedyOptions(20)).tokenIds;
        engine::GenerationOptions options = engine::greedyOptions(20);
        options.temperature = 1.5;
        options.seed = 3;
        options.topK = 1;
        QCOMPARE(run(m, kPrompt, options).tokenIds, greedy);
        options.topK = 0;
        options.topP = 1e-6;
        QCOMPARE(run(m, kPrompt, options).tokenIds, greedy);
    }

    void stopStringAcrossTokensIsNotEmitted()
    {
        QTemporaryDir dir;
        const Loaded m = load(dir.path(), folderOf("llama"));
        const std::string full = run(m, kPrompt, engine::greedyOptions(30)).text;
        QVERIFY2(full.size() >= 12, full.c_str());
        const std::string stop = full.substr(6, 3); // three tokens: spans token boundaries
        const std::size_t at = full.find(stop);
        engine::GenerationOptions options = engine::greedyOptions(30);
        options.stopStrings = { "never-produced-\xE2\x82\xAC", stop };
        std::string streamed;
        const engine::GenerationResult result = run(m, kPrompt, options, [&](const std::string &piece) {
            streamed += piece;
            return true;
        });
        QCOMPARE(result.stopReason, engine::StopReason::StopString);
        QCOMPARE(result.stopString, stop);
        QCOMPARE(result.text, full.substr(0, at));
        QCOMPARE(streamed, result.text);
        const engine::GenerationResult fullResult = run(m, kPrompt, engine::greedyOptions(30));
        QCOMPARE(result.tokenIds, std::vector<engine::TokenId>(fullResult.tokenIds.begin(),
                                      fullResult.tokenIds.begin() + result.newTokens));
        QVERIFY(m.tokenizer->decode(result.tokenIds, true).find(stop) != std::string::npos);
    }

    void eosStopsAndIsNotPartOfTheText()
    {
        QTemporaryDir dir;
        const Loaded m = load(dir.path(), folderOf("gpt2", kPositions64));
        const std::vector<engine::TokenId> greedy = run(m, kPrompt, engine::greedyOptions(20)).tokenIds;
        const engine::TokenId eos = greedy[5];
        const auto first = static_cast<std::size_t>(std::find(greedy.begin(), greedy.end(), eos) - greedy.begin());
        const engine::GenerationResult result = run(m, kPrompt, engine::greedyOptions(20), {}, nullptr, { 1000, eos });
        QCOMPARE(result.stopReason, engine::StopReason::Eos);
        QCOMPARE(result.tokenIds, std::vector<engine::TokenId>(greedy.begin(), greedy.begin() + first));
        QCOMPARE(result.text, m.tokenizer->decode(result.tokenIds, true));
    }

    void stopIdsComeFromTokenizerAndConfig()
    {
        QTemporaryDir dir;
        tinylm::Folder folder = folderOf("llama");
        folder.generationConfig = kEosList;
        const Loaded m = load(dir.path(), folder);
        QCOMPARE(engine::stopTokenIds(*m.tokenizer, m.model->config()),
                 (std::vector<engine::TokenId>{ tinylm::kEndOfText, tinylm::kImEnd }));
    }

    void contextLimitStopsGeneration()
    {
        QTemporaryDir dir;
        const Loaded m = load(dir.path(), folderOf("gpt2", kPositions10));
        const engine::GenerationResult result = run(m, kPrompt, engine::greedyOptions(50));
        QCOMPARE(result.stopReason, engine::StopReason::ContextFull);
        QCOMPARE(result.newTokens, std::int64_t(7)); // 3 prompt tokens + 7 = the 10 positions
        const std::vector<engine::TokenId> tooLong(10, tinylm::idOf('a'));
        QVERIFY_THROWS_EXCEPTION(engine::Error, run(m, tooLong, engine::greedyOptions(5)));
        QVERIFY_THROWS_EXCEPTION(engine::Error, run(m, {}, engine::greedyOptions(5)));
    }

    void cancelFromAnotherThreadStopsWithinOneToken()
    {
        QTemporaryDir dir;
        const Loaded m = load(dir.path(), folderOf("llama"));
        const engine::GenerationResult full = run(m, kPrompt, engine::greedyOptions(40));
        const std::size_t tokensAtThirdPiece = tokensForPieces(full.tokenIds, 3);
        QVERIFY(tokensAtThirdPiece < 30);
        std::atomic<bool> cancel{ false };
        std::mutex mutex;
        std::condition_variable changed;
        int pieces = 0;
        // The callback pauses after the third token until the other thread has cancelled.
        const auto onText = [&](const std::string &) {
            std::unique_lock<std::mutex> lock(mutex);
            if (++pieces == 3) {
                changed.notify_all();
                changed.wait(lock, [&] { return cancel.load(); });
            }
            return true;
        };
        std::thread canceller([&] {
            std::unique_lock<std::mutex> lock(mutex);
            changed.wait(lock, [&] { return pieces >= 3; });
            cancel.store(true);
            changed.notify_all();
        });
        const engine::GenerationResult result = run(m, kPrompt, engine::greedyOptions(40), onText, &cancel);
        canceller.join();
        QCOMPARE(result.stopReason, engine::StopReason::Cancelled);
        // The cancel flag was set while the token of the third piece was being
        // streamed: at most one more token may follow.
        const auto generated = static_cast<std::size_t>(result.newTokens);
        QVERIFY2(generated >= tokensAtThirdPiece && generated <= tokensAtThirdPiece + 1,
                 qPrintable(QString::number(generated)));
        QCOMPARE(result.tokenIds, std::vector<engine::TokenId>(full.tokenIds.begin(), full.tokenIds.begin() + long(generated)));
        QCOMPARE(result.text, m.tokenizer->decode(result.tokenIds, true));
    }

    void cancelBeforeStartAndFromTheCallback()
    {
        QTemporaryDir dir;
        const Loaded m = load(dir.path(), folderOf("gpt2", kPositions64));
        const std::atomic<bool> already{ true };
        const engine::GenerationResult none = run(m, kPrompt, engine::greedyOptions(10), {}, &already);
        QCOMPARE(none.stopReason, engine::StopReason::Cancelled);
        QCOMPARE(none.newTokens, std::int64_t(0));
        int calls = 0;
        const engine::GenerationResult two = run(m, kPrompt, engine::greedyOptions(10), [&](const std::string &) {
            return ++calls < 2;
        });
        QCOMPARE(two.stopReason, engine::StopReason::Cancelled);
        QCOMPARE(calls, 2);
        QCOMPARE(std::size_t(two.newTokens), tokensForPieces(two.tokenIds, 2));
    }

    void streamedPiecesAreWholeCharacters()
    {
        QTemporaryDir dir;
        tinylm::Folder folder = folderOf("llama");
        folder.multibyte = true;
        const Loaded m = load(dir.path(), folder);
        const std::vector<engine::TokenId> euro = { 101, 102, 103 }; // E2 82 AC = "€" in three byte tokens
        engine::GenerationOptions options;
        options.temperature = 1.0;
        options.topK = 0;
        options.topP = 1.0;
        options.maxNewTokens = 60;
        for (std::uint64_t seed = 1; seed <= 5; ++seed) {
            options.seed = seed;
            std::string streamed;
            const engine::GenerationResult result = run(m, euro, options, [&](const std::string &piece) {
                if (!validUtf8(piece))
                    qFatal("a streamed piece is not whole UTF-8");
                streamed += piece;
                return true;
            });
            QCOMPARE(streamed, result.text);
            QCOMPARE(result.text, m.tokenizer->decode(result.tokenIds, true));
        }
    }

    void tokenLossesMatchTheReference_data()
    {
        QTest::addColumn<QString>("modelType");
        QTest::newRow("gpt2") << "gpt2";
        QTest::newRow("llama") << "llama";
    }

    void tokenLossesMatchTheReference()
    {
        QFETCH(QString, modelType);
        QTemporaryDir dir;
        const Loaded m = load(dir.path(), folderOf(modelType));
        const std::vector<engine::TokenId> ids = m.tokenizer->encode("Hello, tiny world!\nBye.");
        const engine::TokenLossRun losses = engine::computeTokenLosses(*m.model, ids, 24);
        QCOMPARE(losses.windows, std::int64_t(1));
        QCOMPARE(losses.losses.size(), ids.size() - 1);
        QString skip;
        const torch::Tensor reference = tiny::referenceLogits(dir.path(), idsTensor(ids), skip); // (1, T, V)
        if (!reference.defined())
            QSKIP(qPrintable(skip));
        const torch::Tensor logProbs = torch::log_softmax(reference[0].to(torch::kFloat64), -1); // (T, V)
        double sum = 0.0, expectedSum = 0.0;
        for (std::size_t t = 1; t < ids.size(); ++t) {
            const double expected = -logProbs[static_cast<std::int64_t>(t - 1)][ids[t]].item<double>();
            QVERIFY2(std::abs(losses.losses[t - 1] - expected) <= 1e-5 * std::max(1.0, expected),
                     qPrintable(QStringLiteral("position %1: %2 vs %3").arg(t).arg(losses.losses[t - 1]).arg(expected)));
            sum += losses.losses[t - 1];
            expectedSum += expected;
        }
        QVERIFY(std::abs(sum - expectedSum) <= 1e-5 * expectedSum);
    }

    void longTextsAreSplitIntoWindows()
    {
        QTemporaryDir dir;
        const Loaded m = load(dir.path(), folderOf("gpt2"));
        const std::vector<engine::TokenId> ids = m.tokenizer->encode("Windows overlap by one token."); // 29 tokens
        QCOMPARE(ids.size(), std::size_t(29));
        const engine::TokenLossRun run = engine::computeTokenLosses(*m.model, ids, 8);
        QCOMPARE(run.windows, std::int64_t(4)); // windows start at 0, 7, 14, 21: every position 1..28 once
        QCOMPARE(run.losses.size(), std::size_t(28));
        torch::NoGradGuard noGrad;
        for (std::size_t begin = 0; begin < 28; begin += 7) {
            const std::size_t end = std::min<std::size_t>(begin + 8, ids.size());
            const std::vector<engine::TokenId> window(ids.begin() + long(begin), ids.begin() + long(end));
            const torch::Tensor logProbs = torch::log_softmax(
                m.model->forward(idsTensor(window))[0].to(torch::kFloat64), -1); // (T, V)
            for (std::size_t t = 1; t < window.size(); ++t) {
                const double expected = -logProbs[long(t - 1)][window[t]].item<double>();
                QVERIFY(std::abs(run.losses[begin + t - 1] - expected) <= 1e-5 * std::max(1.0, expected));
            }
        }
        std::atomic<bool> cancel{ true };
        const engine::TokenLossRun cancelled = engine::computeTokenLosses(*m.model, ids, 8, &cancel);
        QVERIFY(cancelled.cancelled);
        QVERIFY(cancelled.losses.empty());
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::computeTokenLosses(*m.model, ids, 1));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::computeTokenLosses(*m.model, ids, 25));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::computeTokenLosses(*m.model, { 5 }, 8));
    }
};

QTEST_GUILESS_MAIN(TestGenerate)
#include "test_generate.moc"

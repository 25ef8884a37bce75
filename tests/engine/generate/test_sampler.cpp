// The sampler's logits processors against hand computations (repetition
// penalty, top-k, top-p), the sampled distribution against its probabilities,
// temperature 0 and -> 0, seeds, option validation, and the stop-string
// matcher on pieces that split a stop string.
#include "engine/generate/sampler.h"
#include "engine/generate/stopmatcher.h"

#include <QTest>

#include <cmath>

namespace {

torch::Tensor vec(std::vector<float> values)
{
    return torch::tensor(values, torch::kFloat32);
}

std::vector<float> values(const torch::Tensor &t)
{
    const torch::Tensor c = t.contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

const float kInf = std::numeric_limits<float>::infinity();

engine::GenerationOptions sampling(double temperature, int topK, double topP, std::uint64_t seed)
{
    engine::GenerationOptions options;
    options.temperature = temperature;
    options.topK = topK;
    options.topP = topP;
    options.seed = seed;
    return options;
}

} // namespace

class TestSampler : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void repetitionPenaltyDividesPositiveMultipliesNegative()
    {
        // Tokens 0, 1, 3 were seen (1 twice: penalised once). By hand, penalty 2:
        // 2.0 -> 1.0, -1.0 -> -2.0, 0.5 unchanged, -3.0 -> -6.0, 1.0 unchanged.
        const auto out = engine::applyRepetitionPenalty(vec({ 2.0f, -1.0f, 0.5f, -3.0f, 1.0f }), { 0, 1, 1, 3 }, 2.0);
        QCOMPARE(values(out), (std::vector<float>{ 1.0f, -2.0f, 0.5f, -6.0f, 1.0f }));
        // A penalty below 1 rewards repeats: 2.0 / 0.5 = 4.0, -1.0 * 0.5 = -0.5.
        const auto reward = engine::applyRepetitionPenalty(vec({ 2.0f, -1.0f, 0.5f }), { 0, 1 }, 0.5);
        QCOMPARE(values(reward), (std::vector<float>{ 4.0f, -0.5f, 0.5f }));
    }

    void greedyUsesThePenalisedLogits()
    {
        // Without the penalty token 0 (3.0) wins; with penalty 2 it drops to 1.5 < 2.0.
        engine::GenerationOptions options = engine::greedyOptions();
        engine::Sampler plain(options);
        QCOMPARE(plain.next(vec({ 3.0f, 2.0f, -1.0f }), { 0 }), 0);
        options.repetitionPenalty = 2.0;
        engine::Sampler penalised(options);
        QCOMPARE(penalised.next(vec({ 3.0f, 2.0f, -1.0f }), { 0 }), 1);
    }

    void topKKeepsTiesWithTheKthValue()
    {
        QCOMPARE(values(engine::filterTopK(vec({ 1.0f, 4.0f, 3.0f, 2.0f }), 2)),
                 (std::vector<float>{ -kInf, 4.0f, 3.0f, -kInf }));
        QCOMPARE(values(engine::filterTopK(vec({ 1.0f, 3.0f, 3.0f, 2.0f }), 1)),
                 (std::vector<float>{ -kInf, 3.0f, 3.0f, -kInf }));
        QCOMPARE(values(engine::filterTopK(vec({ 1.0f, 2.0f }), 0)), (std::vector<float>{ 1.0f, 2.0f }));
    }

    void topPKeepsTheSmallestSetReachingP()
    {
        // Probabilities 0.15, 0.5, 0.05, 0.3. Sorted: 0.5, 0.3, 0.15, 0.05.
        const auto logits = torch::log(vec({ 0.15f, 0.5f, 0.05f, 0.3f }));
        auto kept = [&](double p) {
            std::vector<int> ids;
            const auto out = values(engine::filterTopP(logits, p));
            for (int i = 0; i < 4; ++i)
                if (std::isfinite(out[i]))
                    ids.push_back(i);
            return ids;
        };
        QCOMPARE(kept(0.7), (std::vector<int>{ 1, 3 })); // 0.5 < 0.7 <= 0.8
        QCOMPARE(kept(0.45), (std::vector<int>{ 1 })); // the first token alone reaches it
        QCOMPARE(kept(0.81), (std::vector<int>{ 0, 1, 3 }));
        QCOMPARE(kept(1e-9), (std::vector<int>{ 1 })); // at least one token always stays
        QCOMPARE(kept(1.0), (std::vector<int>{ 0, 1, 2, 3 }));
    }

    void samplesFollowTheDistribution()
    {
        // 4000 draws from probabilities 0.5, 0.3, 0.2: each frequency within 0.03
        // (more than 4 standard deviations of a binomial of 4000 draws).
        engine::Sampler sampler(sampling(1.0, 0, 1.0, 123));
        const auto logits = torch::log(vec({ 0.5f, 0.3f, 0.2f }));
        std::vector<int> counts(3);
        const int draws = 4000;
        for (int i = 0; i < draws; ++i)
            ++counts.at(static_cast<std::size_t>(sampler.next(logits, {})));
        QVERIFY2(std::abs(counts[0] / double(draws) - 0.5) < 0.03, qPrintable(QString::number(counts[0])));
        QVERIFY2(std::abs(counts[1] / double(draws) - 0.3) < 0.03, qPrintable(QString::number(counts[1])));
        QVERIFY2(std::abs(counts[2] / double(draws) - 0.2) < 0.03, qPrintable(QString::number(counts[2])));
    }

    void temperatureSharpensAndFlattens()
    {
        // Temperature 2 on log-probabilities 0.8 / 0.2 gives sqrt-weights: 2/3 and 1/3.
        engine::Sampler sampler(sampling(2.0, 0, 1.0, 5));
        const auto logits = torch::log(vec({ 0.8f, 0.2f }));
        int first = 0;
        const int draws = 4000;
        for (int i = 0; i < draws; ++i)
            first += sampler.next(logits, {}) == 0;
        QVERIFY2(std::abs(first / double(draws) - 2.0 / 3.0) < 0.03, qPrintable(QString::number(first)));
    }

    void temperatureZeroAndTinyAreGreedy()
    {
        // 0 is defined as greedy; a tiny positive temperature tends to it without NaN.
        const auto logits = vec({ 0.1f, 2.5f, 2.4f, -50.0f });
        engine::Sampler greedy(sampling(0.0, 0, 1.0, 1));
        QCOMPARE(greedy.next(logits, {}), 1);
        for (std::uint64_t seed = 0; seed < 20; ++seed) {
            engine::Sampler tiny(sampling(1e-30, 0, 1.0, seed));
            QCOMPARE(tiny.next(logits, {}), 1);
        }
    }

    void sameSeedSameDraws()
    {
        const auto logits = torch::zeros({ 50 }); // uniform over 50 tokens
        auto draws = [&](std::uint64_t seed) {
            engine::Sampler sampler(sampling(1.0, 0, 1.0, seed));
            std::vector<engine::TokenId> ids;
            for (int i = 0; i < 30; ++i)
                ids.push_back(sampler.next(logits, {}));
            return ids;
        };
        QCOMPARE(draws(7), draws(7));
        QVERIFY(draws(7) != draws(8)); // equal by chance with probability 50^-30
    }

    void invalidOptionsAreRefused_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("expected");
        QTest::newRow("max tokens") << "maxNewTokens" << "max new tokens is 0";
        QTest::newRow("temperature") << "temperature" << "temperature is -0.5";
        QTest::newRow("top-k") << "topK" << "top-k is -1";
        QTest::newRow("top-p zero") << "topP0" << "top-p is 0";
        QTest::newRow("top-p above one") << "topP2" << "top-p is 1.5";
        QTest::newRow("penalty") << "penalty" << "repetition penalty is 0";
        QTest::newRow("empty stop") << "stop" << "stop string 2 is empty";
    }

    void invalidOptionsAreRefused()
    {
        QFETCH(QString, field);
        QFETCH(QString, expected);
        engine::GenerationOptions options;
        QVERIFY(options.validate().isOk());
        if (field == "maxNewTokens")
            options.maxNewTokens = 0;
        else if (field == "temperature")
            options.temperature = -0.5;
        else if (field == "topK")
            options.topK = -1;
        else if (field == "topP0")
            options.topP = 0.0;
        else if (field == "topP2")
            options.topP = 1.5;
        else if (field == "penalty")
            options.repetitionPenalty = 0.0;
        else
            options.stopStrings = { "ok", "" };
        const engine::Status status = options.validate();
        QVERIFY(!status.isOk());
        QVERIFY2(QString::fromStdString(status.message()).contains(expected), status.message().c_str());
        QVERIFY2(QString::fromStdString(status.message()).contains("hint:"), status.message().c_str());
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::Sampler{ options });
    }

    void stopMatcherHoldsBackPrefixes()
    {
        engine::StopMatcher matcher({ "abc" });
        QCOMPARE(matcher.push("xa"), std::string("x")); // "a" may start "abc"
        QCOMPARE(matcher.push("b"), std::string()); // "ab" too
        QCOMPARE(matcher.push("d"), std::string("abd")); // no longer
        QCOMPARE(matcher.push("ab"), std::string());
        QVERIFY(!matcher.stopped());
        QCOMPARE(matcher.flush(), std::string("ab")); // the end: held text is released
    }

    void stopMatcherFindsStringsAcrossPieces()
    {
        engine::StopMatcher matcher({ "o w", "END" });
        std::string out = matcher.push("Hel");
        out += matcher.push("lo");
        out += matcher.push(" wo");
        QVERIFY(matcher.stopped());
        QCOMPARE(matcher.matched(), std::string("o w"));
        QCOMPARE(out, std::string("Hell"));
        QCOMPARE(matcher.push("more"), std::string());
        QCOMPARE(matcher.flush(), std::string());
    }

    void stopMatcherTakesTheEarliestString()
    {
        engine::StopMatcher matcher({ "cd", "bcde" });
        QCOMPARE(matcher.push("abcdef"), std::string("a"));
        QCOMPARE(matcher.matched(), std::string("bcde"));
        engine::StopMatcher multibyte({ "\xE2\x82\xAC" }); // "€"
        QCOMPARE(multibyte.push("5 \xE2\x82"), std::string("5 "));
        QCOMPARE(multibyte.push("\xAC!"), std::string());
        QVERIFY(multibyte.stopped());
    }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "test_sampler.moc"

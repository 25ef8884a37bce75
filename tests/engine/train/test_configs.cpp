// Settings structs: defaults validate, JSON round trips, every bad field is
// named in the message, and schedule factors match hand-computed values.
#include "engine/lora/loraconfig.h"
#include "engine/train/optimizerconfig.h"
#include "engine/train/runsettings.h"
#include "engine/train/trainingconfig.h"

#include <QTest>

#include <cmath>

namespace {

QString msg(const engine::Status &s)
{
    return QString::fromStdString(s.message());
}

} // namespace

class TestConfigs : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsAreValid()
    {
        QVERIFY(engine::LoraConfig{}.validate().isOk());
        QVERIFY(engine::OptimizerConfig{}.validate().isOk());
        QVERIFY(engine::TrainingConfig{}.validate().isOk());
    }

    void jsonRoundTrip()
    {
        engine::LoraConfig lora;
        lora.rank = 16;
        lora.alpha = 32;
        lora.rsLora = true;
        lora.init = engine::LoraInit::Reversed;
        lora.targetModules = {"q_proj", "v_proj"};
        lora.layersToTransform = {0, 2};
        lora.rankPattern = {{"q_proj", 4}};
        lora.alphaPattern = {{"v_proj", 8.0}};
        const auto back = engine::LoraConfig::fromJson(lora.toJson());
        QVERIFY2(back.isOk(), back.message().c_str());
        QCOMPARE(back->toJson(), lora.toJson());

        engine::OptimizerConfig opt;
        opt.schedule = engine::Schedule::Cosine;
        opt.loraPlusRatio = 1.0;
        opt.warmupSteps = 7;
        const auto optBack = engine::OptimizerConfig::fromJson(opt.toJson());
        QVERIFY(optBack.isOk());
        QCOMPARE(optBack->toJson(), opt.toJson());

        engine::TrainingConfig training;
        training.device = "cuda:1";
        training.seed = 1234567890123ULL;
        training.baseWeights = "nf4";
        const auto trainingBack = engine::TrainingConfig::fromJson(training.toJson());
        QVERIFY(trainingBack.isOk());
        QCOMPARE(trainingBack->seed, training.seed);
        QCOMPARE(trainingBack->baseWeights, std::string("nf4"));
        QCOMPARE(trainingBack->toJson(), training.toJson());
    }

    // "auto" and the riemannian kind round-trip; keys at their defaults stay
    // out of the JSON, so documents (and resume hashes) of earlier runs are unchanged.
    void optimizerChoicesRoundTrip()
    {
        const engine::OptimizerConfig plain;
        QVERIFY(plain.toJson().find("\"name\"") == std::string::npos);
        QVERIFY(plain.toJson().find("scope") == std::string::npos);
        const auto automatic = engine::OptimizerConfig::fromJson(
            R"({"loraplus_ratio": "auto", "loraplus_ratio_scope": "module"})");
        QVERIFY2(automatic.isOk(), automatic.message().c_str());
        QVERIFY(automatic->autoRatio);
        QCOMPARE(automatic->loraPlusRatio, 16.0); // the start value
        QCOMPARE(automatic->ratioScope, engine::RatioScope::Module);
        const auto again = engine::OptimizerConfig::fromJson(automatic->toJson());
        QVERIFY(again.isOk());
        QVERIFY(again->autoRatio);
        QCOMPARE(again->toJson(), automatic->toJson());
        const auto riemannian = engine::OptimizerConfig::fromJson(R"({"name": "riemannian", "riemannian_damping": 1e-4})");
        QVERIFY2(riemannian.isOk(), riemannian.message().c_str());
        QCOMPARE(riemannian->kind, engine::OptimizerKind::Riemannian);
        QCOMPARE(engine::OptimizerConfig::fromJson(riemannian->toJson())->riemannianDamping, 1e-4);
    }

    void automaticRatioNeedsProbes()
    {
        engine::RunSettings settings;
        settings.modelPath = "model";
        settings.dataset.trainPath = "train.jsonl";
        settings.optimizer.autoRatio = true;
        settings.training.probeEvery = 0;
        const engine::Status status = settings.validate();
        QVERIFY(!status.isOk());
        QVERIFY2(msg(status).contains(QStringLiteral("hint: set training.probe_every to 10")), qPrintable(msg(status)));
        settings.training.probeEvery = 10;
        QVERIFY(settings.validate().isOk());
    }

    void badInputNamesTheField_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("syntax") << "lora" << "{\"rank\": 8,\n \"alpha\" 16}" << "run.json:2:";
        QTest::newRow("type") << "lora" << "{\"rank\": \"eight\"}" << "run.json: rank: expected a whole number, found a string";
        QTest::newRow("range") << "lora" << "{\"rank\": 0}" << "lora.rank: 0 is out of range";
        QTest::newRow("enum") << "lora" << "{\"init\": \"xavier\"}" << "unknown value 'xavier' (hint: use one of 'kaiming'";
        QTest::newRow("typo") << "lora" << "{\"rnak\": 8}" << "run.json: rnak: unknown setting";
        QTest::newRow("regex") << "lora" << "{\"target_mode\": \"regex\", \"target_regex\": \"([\"}" << "invalid regular expression";
        QTest::newRow("pattern") << "lora" << "{\"rank_pattern\": {\"q_proj\": \"x\"}}" << "entry 'q_proj' must be a whole number";
        QTest::newRow("ratio") << "optimizer" << "{\"loraplus_ratio\": 0.5}" << "optimizer.loraplus_ratio: must be >= 1";
        QTest::newRow("ratio word") << "optimizer" << "{\"loraplus_ratio\": \"automatic\"}"
                                    << "run.json: loraplus_ratio: expected a number >= 1 or \"auto\", found 'automatic'";
        QTest::newRow("optimizer name") << "optimizer" << "{\"name\": \"lion\"}"
                                        << "unknown value 'lion' (hint: use one of 'adamw', 'riemannian')";
        QTest::newRow("auto riemannian") << "optimizer" << "{\"name\": \"riemannian\", \"loraplus_ratio\": \"auto\"}"
                                         << "does not apply to the riemannian optimizer";
        QTest::newRow("scope") << "optimizer" << "{\"loraplus_ratio_scope\": \"layer\"}"
                               << "unknown value 'layer' (hint: use one of 'global', 'module')";
        QTest::newRow("damping") << "optimizer" << "{\"name\": \"riemannian\", \"riemannian_damping\": 0}"
                                 << "optimizer.riemannian_damping: must be positive";
        QTest::newRow("lr") << "optimizer" << "{\"learning_rate\": -1}" << "optimizer.learning_rate";
        QTest::newRow("device") << "training" << "{\"device\": \"tpu\"}" << "unknown device 'tpu'";
        QTest::newRow("base weights") << "training" << "{\"base_weights\": \"int8\"}"
                                      << "training.base_weights: unknown 'int8'";
        QTest::newRow("batch") << "training" << "{\"batch_size\": 0}" << "training.batch_size: 0 is out of range";
        QTest::newRow("array") << "training" << "[1, 2]" << "expected a JSON object at the top level, found a list";
    }

    void badInputNamesTheField()
    {
        QFETCH(QString, kind);
        QFETCH(QString, json);
        QFETCH(QString, expected);
        const std::string text = json.toStdString();
        engine::Status status;
        if (kind == QLatin1String("lora"))
            status = engine::LoraConfig::fromJson(text, "run.json").status();
        else if (kind == QLatin1String("optimizer"))
            status = engine::OptimizerConfig::fromJson(text, "run.json").status();
        else
            status = engine::TrainingConfig::fromJson(text, "run.json").status();
        QVERIFY(!status.isOk());
        QVERIFY2(msg(status).contains(expected), qPrintable(msg(status)));
    }

    void patternsPickRankAndScaling()
    {
        engine::LoraConfig c;
        c.rank = 8;
        c.alpha = 16;
        c.rankPattern = {{"q_proj", 4}};
        c.alphaPattern = {{"layers\\.1\\.self_attn\\.v_proj", 2.0}};
        QCOMPARE(c.rankFor("model.layers.0.self_attn.q_proj"), 4);
        QCOMPARE(c.rankFor("model.layers.0.self_attn.k_proj"), 8);
        QCOMPARE(c.rankFor("model.layers.0.self_attn.xq_proj"), 8); // PEFT: whole component only
        QCOMPARE(c.scalingFor("model.layers.0.self_attn.q_proj"), 4.0);
        QCOMPARE(c.scalingFor("model.layers.1.self_attn.v_proj"), 0.25);
        c.rsLora = true;
        QCOMPARE(c.scalingFor("model.layers.0.self_attn.k_proj"), 16.0 / std::sqrt(8.0));
    }

    void scheduleFactors()
    {
        engine::OptimizerConfig c;
        c.warmupSteps = 4;
        c.schedule = engine::Schedule::Linear;
        // Warmup: (step+1)/(warmup+1).
        QCOMPARE(engine::scheduleFactor(c, 0, 104), 0.2);
        QCOMPARE(engine::scheduleFactor(c, 3, 104), 0.8);
        // Then linear from 1 to 0 over the remaining 100 steps.
        QCOMPARE(engine::scheduleFactor(c, 4, 104), 1.0);
        QVERIFY(std::abs(engine::scheduleFactor(c, 54, 104) - 0.5) < 1e-12);
        QVERIFY(std::abs(engine::scheduleFactor(c, 103, 104) - 0.01) < 1e-12);
        c.schedule = engine::Schedule::Cosine;
        QVERIFY(std::abs(engine::scheduleFactor(c, 54, 104) - 0.5) < 1e-12);
        QVERIFY(std::abs(engine::scheduleFactor(c, 29, 104) - 0.5 * (1 + std::cos(M_PI * 0.25))) < 1e-12);
        c.minLearningRateRatio = 0.1;
        QVERIFY(std::abs(engine::scheduleFactor(c, 104, 104) - 0.1) < 1e-12);
        c.schedule = engine::Schedule::Constant;
        QCOMPARE(engine::scheduleFactor(c, 90, 104), 1.0);
        // Ratio mode: 3% of 200 steps = 6 warmup steps.
        engine::OptimizerConfig r;
        QCOMPARE(r.warmupFor(200), std::int64_t(6));
    }
};

QTEST_GUILESS_MAIN(TestConfigs)
#include "test_configs.moc"

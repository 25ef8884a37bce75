// bf16 base weights (training.base_weights "bf16", the CUDA default): the
// decoder projections keep half their bytes, lm_head and embeddings stay f32,
// and a tiny model's logits and LoRA gradients equal those of the same model
// holding the bf16-rounded weights in f32 (on the CPU, forward casts the
// stored bf16 back to the input's f32, so the two compute the same thing).
#include "engine/lora/loramodel.h"
#include "engine/model/causallm.h"
#include "engine/quant/basequantization.h"
#include "tests/engine/model/tinymodel.h"
#include "tests/engine/tensorcompare.h"

#include <QTemporaryDir>
#include <QTest>

namespace {

engine::CausalLm tinyModel(const QTemporaryDir &dir, const std::string &type)
{
    const std::string config = tiny::configJson(type);
    tiny::writeModel(dir.path(), config, tiny::randomWeights(config, 3));
    return engine::loadCausalLm(dir.path().toStdString());
}

} // namespace

class TestBaseBf16 : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void resolvesAuto()
    {
        QCOMPARE(engine::resolveBaseWeights("auto", true), std::string("bf16"));
        QCOMPARE(engine::resolveBaseWeights("auto", false), std::string("f32"));
        QCOMPARE(engine::resolveBaseWeights("nf4", true), std::string("nf4"));
        QCOMPARE(engine::resolveBaseWeights("f32", true), std::string("f32"));
    }

    void bf16ModelEqualsItsRoundedCopy_data()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("llama") << QStringLiteral("llama");
        QTest::newRow("gpt2") << QStringLiteral("gpt2");
    }

    void bf16ModelEqualsItsRoundedCopy()
    {
        QFETCH(QString, type);
        QTemporaryDir dir;
        const engine::CausalLm halved = tinyModel(dir, type.toStdString());
        const engine::CausalLm copy = tinyModel(dir, type.toStdString());
        const engine::BaseQuantization summary = engine::storeBaseBf16(halved);
        QVERIFY(summary.projections > 0);
        QCOMPARE(summary.bytesAfter * 2, summary.bytesBefore);
        {
            torch::NoGradGuard noGrad;
            const auto h = halved.linearModules(), c = copy.linearModules();
            for (std::size_t i = 0; i < h.size(); ++i) {
                const bool converted = h[i].layer >= 0 && !h[i].module->isTied();
                QCOMPARE(h[i].module->weight.scalar_type(), converted ? torch::kBFloat16 : torch::kFloat);
                if (converted)
                    c[i].module->weight.copy_(c[i].module->weight.to(torch::kBFloat16).to(torch::kFloat));
            }
        }
        engine::LoraConfig config;
        config.dropout = 0.0;
        engine::LoraModel loraH = engine::LoraModel::inject(halved, config, 5);
        engine::LoraModel loraC = engine::LoraModel::inject(copy, config, 5);
        {
            torch::NoGradGuard noGrad;
            torch::manual_seed(9);
            auto h = loraH.namedParameters(), c = loraC.namedParameters();
            for (std::size_t i = 0; i < h.size(); ++i) {
                h[i].second.copy_(torch::randn_like(h[i].second) * 0.05);
                c[i].second.copy_(h[i].second);
            }
        }
        const torch::Tensor ids = tiny::randomIds(2, 9, halved.config().vocabSize);
        const torch::Tensor logitsH = halved.forward(ids), logitsC = copy.forward(ids);
        QCOMPARE(logitsH.scalar_type(), torch::kFloat);
        QVERIFY2(test::relativeError(logitsH, logitsC) < 1e-6, qPrintable(QString::number(test::relativeError(logitsH, logitsC))));
        logitsH.square().mean().backward();
        logitsC.square().mean().backward();
        auto h = loraH.namedParameters(), c = loraC.namedParameters();
        for (std::size_t i = 0; i < h.size(); ++i) {
            QCOMPARE(h[i].second.scalar_type(), torch::kFloat); // the adapter stays f32
            QVERIFY2(test::relativeError(h[i].second.grad(), c[i].second.grad()) < 1e-5, h[i].first.c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestBaseBf16)
#include "test_basebf16.moc"

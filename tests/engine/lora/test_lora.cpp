// LoRA adapters on tiny GPT-2 (Conv1D) and Llama models: identity at init,
// gradients only on adapters, the forward against a hand-written reference,
// merge/unmerge, DoRA and PiSSA invariants, and target selection errors.
#include "engine/lora/loramodel.h"
#include "engine/model/causallm.h"
#include "engine/train/causallmloss.h"
#include "tests/engine/model/tinymodel.h"
#include "tests/engine/tensorcompare.h"

#include <QTemporaryDir>
#include <QTest>

namespace {

using test::relativeError;

constexpr double kTolerance = 1e-5; // relative, f32

engine::CausalLm tinyModel(const QTemporaryDir &dir, const std::string &type)
{
    const std::string config = tiny::configJson(type);
    tiny::writeModel(dir.path(), config, tiny::randomWeights(config, 3));
    return engine::loadCausalLm(dir.path().toStdString());
}

void randomizeAdapters(const engine::LoraModel &lora, double scale = 0.05)
{
    torch::NoGradGuard noGrad;
    torch::manual_seed(11);
    for (auto &[name, tensor] : lora.namedParameters())
    {
        const torch::Tensor noise = torch::randn_like(tensor) * scale;
        tensor.copy_(name.find("magnitude") != std::string::npos ? tensor + noise : noise);
    }
}

} // namespace

class TestLora : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void identityAtInit_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("init");
        QTest::addColumn<bool>("dora");
        QTest::newRow("gpt2 kaiming") << "gpt2" << "kaiming" << false;
        QTest::newRow("llama kaiming") << "llama" << "kaiming" << false;
        QTest::newRow("llama gaussian") << "llama" << "gaussian" << false;
        QTest::newRow("llama reversed") << "llama" << "reversed" << false;
        QTest::newRow("gpt2 dora") << "gpt2" << "kaiming" << true;
        QTest::newRow("llama pissa") << "llama" << "pissa" << false;
        QTest::newRow("gpt2 pissa") << "gpt2" << "pissa" << false;
        QTest::newRow("gemma2 kaiming") << "gemma2" << "kaiming" << false;
        QTest::newRow("phi3 kaiming (fused qkv, gate_up)") << "phi3" << "kaiming" << false;
    }

    void identityAtInit()
    {
        QFETCH(QString, type);
        QFETCH(QString, init);
        QFETCH(bool, dora);
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir, type.toStdString());
        const torch::Tensor ids = tiny::randomIds(2, 9, model.config().vocabSize);
        const torch::Tensor before = model.forward(ids);
        auto config = engine::LoraConfig::fromJson("{\"target_mode\": \"all-linear\", \"init\": \"" + init.toStdString()
                                                   + "\", \"rank\": 4}");
        QVERIFY2(config.isOk(), config.message().c_str());
        config->dora = dora;
        engine::LoraModel lora = engine::LoraModel::inject(model, config.value(), 5);
        QVERIFY(!lora.matrices().empty());
        lora.setTraining(false);
        const torch::Tensor after = model.forward(ids);
        QVERIFY2(relativeError(after, before) < (init == "pissa" ? 1e-4 : kTolerance),
                 qPrintable(QString::number(relativeError(after, before))));
    }

    void forwardMatchesHandWrittenReference()
    {
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir, "gpt2");
        engine::LoraConfig config;
        config.targetModules = {"c_attn"};
        config.rank = 3;
        config.alpha = 6;
        engine::LoraModel lora = engine::LoraModel::inject(model, config, 1);
        randomizeAdapters(lora);
        lora.setTraining(false);
        const engine::AdaptedMatrix &m = lora.matrices().front();
        QCOMPARE(QString::fromStdString(m.name), QStringLiteral("transformer.h.0.attn.c_attn"));
        const engine::Linear &base = m.lora->base();
        torch::NoGradGuard noGrad;
        const torch::Tensor x = torch::randn({2, 5, base->inFeatures()}); // (B, T, I)
        // Reference: Conv1D y = x·W + b with W [in, out]; LoRA adds (α/r)·x·Aᵀ·Bᵀ.
        const torch::Tensor expected = torch::matmul(x, base->weight) + base->bias
            + 2.0 * torch::matmul(torch::matmul(x, m.lora->A.t()), m.lora->B.t());
        QVERIFY(relativeError(base.ptr()->forward(x), expected) < kTolerance);
    }

    void gradientsReachOnlyAdapters()
    {
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir, "llama");
        engine::LoraConfig config;
        config.init = engine::LoraInit::Reversed; // A = 0, B random: both get gradients
        engine::LoraModel lora = engine::LoraModel::inject(model, config, 2);
        const torch::Tensor ids = tiny::randomIds(2, 7, model.config().vocabSize);
        model.forward(ids).logsumexp(-1).mean().backward();
        for (const auto &p : model.module().named_parameters())
            QVERIFY2(!p.value().grad().defined(), p.key().c_str());
        for (const auto &[name, tensor] : lora.namedParameters()) {
            QVERIFY2(tensor.grad().defined(), name.c_str());
            if (name.find("lora_A") != std::string::npos)
                QVERIFY2(tensor.grad().abs().sum().item<double>() > 0, name.c_str());
        }
        QCOMPARE(lora.matrices().size(), std::size_t(2 * model.config().numLayers)); // q_proj, v_proj per layer
    }

    // Checkpointed layers recompute their forward in backward with the random
    // generator rewound, so the loss and every adapter gradient equal the plain
    // run's (dropout on, all-linear targets, so layer 0's adapters depend on
    // the anchor that makes a frozen embedding's output differentiable).
    void gradientCheckpointingGivesTheSameGradients_data()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("gpt2") << "gpt2";
        QTest::newRow("llama") << "llama";
        QTest::newRow("gemma2") << "gemma2";
        QTest::newRow("gemma3_text") << "gemma3_text";
        QTest::newRow("phi3") << "phi3";
    }

    void gradientCheckpointingGivesTheSameGradients()
    {
        QFETCH(QString, type);
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir, type.toStdString());
        auto config = engine::LoraConfig::fromJson("{\"target_mode\": \"all-linear\", \"dropout\": 0.2}", "test");
        QVERIFY(config);
        engine::LoraModel lora = engine::LoraModel::inject(model, config.value(), 6);
        randomizeAdapters(lora);
        lora.setTraining(true);
        const torch::Tensor ids = tiny::randomIds(2, 9, model.config().vocabSize);
        const auto run = [&](bool checkpointing) {
            model.net()->setGradientCheckpointing(checkpointing);
            for (auto &[name, tensor] : lora.namedParameters())
                tensor.mutable_grad() = torch::Tensor();
            torch::manual_seed(21);
            const torch::Tensor loss = model.forward(ids).logsumexp(-1).mean();
            loss.backward();
            std::vector<torch::Tensor> grads;
            for (auto &[name, tensor] : lora.namedParameters()) {
                if (!tensor.grad().defined())
                    throw std::runtime_error("no gradient for " + name);
                grads.push_back(tensor.grad().clone());
            }
            grads.push_back(loss.detach());
            return grads;
        };
        const std::vector<torch::Tensor> plain = run(false);
        const std::vector<torch::Tensor> checkpointed = run(true);
        QCOMPARE(checkpointed.size(), plain.size());
        for (std::size_t i = 0; i < plain.size(); ++i)
            QVERIFY2(relativeError(checkpointed[i], plain[i]) < kTolerance,
                     qPrintable(QStringLiteral("tensor %1: %2").arg(i).arg(relativeError(checkpointed[i], plain[i]))));
        // Without autograd (evaluation, generation) checkpointing changes nothing.
        torch::NoGradGuard noGrad;
        lora.setTraining(false);
        const torch::Tensor withCheckpointing = model.forward(ids);
        model.net()->setGradientCheckpointing(false);
        QVERIFY(relativeError(withCheckpointing, model.forward(ids)) < 1e-7);
    }

    // The training loss computed a few positions at a time (chunks of 5 rows
    // here, so several chunks and a ragged last one) gives the same loss and
    // adapter gradients as the loss on the full (B, T, V) logits; ignored
    // labels (-100) and a chunk with no counted label included.
    void chunkedLossBackwardMatchesFullLogits_data()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("gpt2") << "gpt2";
        QTest::newRow("llama") << "llama";
        QTest::newRow("gemma2 final soft-capping") << "gemma2";
        QTest::newRow("phi3") << "phi3";
    }

    void chunkedLossBackwardMatchesFullLogits()
    {
        QFETCH(QString, type);
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir, type.toStdString());
        auto config = engine::LoraConfig::fromJson("{\"target_mode\": \"all-linear\", \"dropout\": 0}", "test");
        QVERIFY(config);
        engine::LoraModel lora = engine::LoraModel::inject(model, config.value(), 8);
        randomizeAdapters(lora);
        const torch::Tensor ids = tiny::randomIds(3, 11, model.config().vocabSize);
        torch::Tensor labels = ids.clone();
        labels.slice(1, 0, 7).fill_(-100); // a prompt: the first chunks count nothing
        labels[2][9] = -100;
        const double scale = 1.0 / 17.0;
        const auto gradients = [&] {
            std::vector<torch::Tensor> grads;
            for (auto &[name, tensor] : lora.namedParameters()) {
                grads.push_back(tensor.grad().defined() ? tensor.grad().clone() : torch::zeros_like(tensor));
                tensor.mutable_grad() = torch::Tensor();
            }
            return grads;
        };
        const torch::Tensor full = engine::causalLmLossSum(model.forward(ids), labels) * scale;
        full.backward();
        const std::vector<torch::Tensor> expected = gradients();
        const double chunked = engine::causalLmLossBackward(model, ids, labels, scale, 5 * model.config().vocabSize);
        const std::vector<torch::Tensor> actual = gradients();
        QVERIFY2(std::abs(chunked - full.item<double>()) <= kTolerance * std::abs(full.item<double>()),
                 qPrintable(QStringLiteral("%1 vs %2").arg(chunked).arg(full.item<double>())));
        for (std::size_t i = 0; i < expected.size(); ++i)
            QVERIFY2(relativeError(actual[i], expected[i]) < kTolerance,
                     qPrintable(QStringLiteral("tensor %1: %2").arg(i).arg(relativeError(actual[i], expected[i]))));
    }

    void mergeEqualsUnmerged_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("dora");
        QTest::newRow("gpt2") << "gpt2" << false;
        QTest::newRow("llama") << "llama" << false;
        QTest::newRow("qwen2 dora") << "qwen2" << true;
        QTest::newRow("gpt2 dora") << "gpt2" << true;
        QTest::newRow("gemma3_text") << "gemma3_text" << false;
        QTest::newRow("phi3 dora") << "phi3" << true;
    }

    void mergeEqualsUnmerged()
    {
        QFETCH(QString, type);
        QFETCH(bool, dora);
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir, type.toStdString());
        const torch::Tensor original = model.linearModules().front().module->weight.clone();
        engine::LoraConfig config;
        config.targetMode = engine::TargetMode::AllLinear;
        config.dora = dora;
        engine::LoraModel lora = engine::LoraModel::inject(model, config, 4);
        randomizeAdapters(lora);
        lora.setTraining(false);
        const torch::Tensor ids = tiny::randomIds(1, 8, model.config().vocabSize);
        const torch::Tensor unmerged = model.forward(ids);
        lora.merge();
        QVERIFY(relativeError(model.forward(ids), unmerged) < 1e-4);
        lora.unmerge();
        QVERIFY(relativeError(model.linearModules().front().module->weight, original) < 1e-5);
        QVERIFY(relativeError(model.forward(ids), unmerged) < kTolerance);
    }

    void targetsAndPatterns()
    {
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir, "llama");
        engine::LoraConfig config;
        config.targetModules = {"q_proj", "down_proj"};
        config.layersToTransform = {1};
        config.rankPattern = {{"down_proj", 2}};
        engine::LoraModel lora = engine::LoraModel::inject(model, config, 1);
        QCOMPARE(lora.matrices().size(), std::size_t(2));
        for (const auto &m : lora.matrices()) {
            QCOMPARE(m.layer, 1);
            QCOMPARE(m.lora->rank(), m.kind == "down_proj" ? 2 : 8);
        }
        QCOMPARE(lora.namedParameters().front().first, std::string("model.layers.1.self_attn.q_proj.lora_A.weight"));
        lora.detach();
        QVERIFY(!model.linearModules().front().module->adapter());
    }

    void targetMatchingNothingNamesTheModelsProjections()
    {
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir, "gpt2");
        engine::LoraConfig config;
        config.targetModules = {"q_proj"};
        try {
            engine::LoraModel::inject(model, config, 1);
            QFAIL("expected an error");
        } catch (const engine::Error &e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.contains("LoRA target 'q_proj' matched no module"), e.what());
            QVERIFY2(message.contains("c_attn"), e.what());
        }
        config.targetModules = {};
        config.targetMode = engine::TargetMode::Regex;
        config.targetRegex = ".*nothing.*";
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::LoraModel::inject(model, config, 1));
    }

    void loadTensorsChecksNamesAndShapes()
    {
        QTemporaryDir dir;
        engine::CausalLm model = tinyModel(dir, "llama");
        engine::LoraModel lora = engine::LoraModel::inject(model, engine::LoraConfig{}, 1);
        auto tensors = lora.namedParameters();
        for (auto &[name, tensor] : tensors)
            tensor = torch::ones_like(tensor);
        lora.loadTensors(tensors);
        QCOMPARE(lora.matrices().front().lora->B.sum().item<double>(), double(lora.matrices().front().lora->B.numel()));
        tensors.front().second = torch::ones({1, 1});
        QVERIFY_THROWS_EXCEPTION(engine::Error, lora.loadTensors(tensors));
        tensors.pop_back();
        QVERIFY_THROWS_EXCEPTION(engine::Error, lora.loadTensors(tensors));
    }
};

QTEST_GUILESS_MAIN(TestLora)
#include "test_lora.moc"

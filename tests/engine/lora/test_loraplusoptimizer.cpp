// LoRA+ parameter groups exactly as methods.md §1.4 prescribes, schedule
// factors applied to every group, one AdamW step against the closed form, and
// the multi-tensor step against LibTorch's own AdamW.
#include "engine/core/torchcompat.h"
#include "engine/train/loraplusoptimizer.h"

#include <QTest>

#include <algorithm>
#include <cmath>

class TestLoraPlusOptimizer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void groupMembershipAndRates()
    {
        auto p = [](std::vector<std::int64_t> shape) { return torch::zeros(shape).requires_grad_(true); };
        const std::vector<std::pair<std::string, torch::Tensor>> named = {
            {"model.layers.0.self_attn.q_proj.lora_A.weight", p({4, 16})},
            {"model.layers.0.self_attn.q_proj.lora_B.weight", p({16, 4})},
            {"model.layers.0.self_attn.q_proj.lora_magnitude_vector", p({16})},
            {"score.weight", p({2, 16})},
            {"score.bias", p({2})},
            {"model.norm.weight", p({16})},
            {"model.embed_tokens.lora_embedding_A", p({4, 100})},
            {"model.embed_tokens.lora_embedding_B", p({16, 4})},
            {"frozen.weight", torch::zeros({3, 3})},
        };
        engine::OptimizerConfig config;
        config.learningRate = 1e-4;
        config.loraPlusRatio = 16;
        config.weightDecay = 0.01;
        engine::LoraPlusOptimizer optimizer(named, config);
        const auto &groups = optimizer.groups();
        QCOMPARE(groups.size(), std::size_t(4));
        auto names = [&](int i) { return groups[i].names; };
        QCOMPARE(names(0), (std::vector<std::string>{"model.layers.0.self_attn.q_proj.lora_A.weight", "score.weight"}));
        QCOMPARE(names(1), (std::vector<std::string>{"model.embed_tokens.lora_embedding_A",
                                                     "model.embed_tokens.lora_embedding_B"}));
        QCOMPARE(names(2), (std::vector<std::string>{"model.layers.0.self_attn.q_proj.lora_B.weight",
                                                     "model.layers.0.self_attn.q_proj.lora_magnitude_vector"}));
        QCOMPARE(names(3), (std::vector<std::string>{"score.bias", "model.norm.weight"}));
        QCOMPARE(groups[0].baseLearningRate, 1e-4);
        QCOMPARE(groups[1].baseLearningRate, 1e-6);
        QCOMPARE(groups[2].baseLearningRate, 1.6e-3);
        QCOMPARE(groups[3].baseLearningRate, 1.6e-3);
        QCOMPARE(groups[2].weightDecay, 0.01);
        QCOMPARE(groups[3].weightDecay, 0.0);

        optimizer.setScheduleFactor(0.5);
        const auto rates = optimizer.learningRates();
        QCOMPARE(rates.size(), std::size_t(4));
        QCOMPARE(rates[0].group, std::string("A"));
        QCOMPARE(rates[0].lr, 5e-5);
        QCOMPARE(rates[2].group, std::string("B"));
        QCOMPARE(rates[2].lr / rates[0].lr, 16.0); // λ survives the schedule
    }

    void oneAdamWStepMatchesClosedForm()
    {
        // First AdamW step: p ← p·(1 − lr·wd) − lr·g/(|g| + ε) (bias corrections cancel).
        torch::Tensor a = torch::full({2, 3}, 1.0).requires_grad_(true);
        torch::Tensor b = torch::full({3, 2}, 1.0).requires_grad_(true);
        engine::OptimizerConfig config;
        config.learningRate = 0.01;
        config.loraPlusRatio = 4;
        config.weightDecay = 0.1;
        engine::LoraPlusOptimizer optimizer({{"x.lora_A.weight", a}, {"x.lora_B.weight", b}}, config);
        a.mutable_grad() = torch::full({2, 3}, 2.0);
        b.mutable_grad() = torch::full({3, 2}, -3.0);
        optimizer.step();
        const double expectA = 1.0 * (1 - 0.01 * 0.1) - 0.01 * 2.0 / (2.0 + 1e-8);
        const double expectB = 1.0 * (1 - 0.04 * 0.1) + 0.04 * 3.0 / (3.0 + 1e-8);
        QVERIFY(std::abs(a[0][0].item<double>() - expectA) < 1e-6);
        QVERIFY(std::abs(b[0][0].item<double>() - expectB) < 1e-6);
    }

    // LoraPlusOptimizer::step runs the multi-tensor (_foreach_) AdamW; LibTorch's
    // own AdamW::step is the independent reference: the same parameters,
    // groups and gradients for six steps, one parameter without a gradient in
    // step 3 (so its step count lags and it steps in a batch of its own), and
    // the parameters and both moments must agree to 1e-7 relative (f32).
    void foreachStepMatchesLibTorchAdamW()
    {
        torch::manual_seed(3);
        const std::vector<std::string> names = { "q.lora_A.weight", "q.lora_B.weight", "v.lora_A.weight",
            "v.lora_B.weight", "norm.weight" };
        const std::vector<std::vector<std::int64_t>> shapes = { { 4, 16 }, { 16, 4 }, { 4, 8 }, { 8, 4 }, { 16 } };
        std::vector<std::pair<std::string, torch::Tensor>> ours;
        std::vector<torch::Tensor> reference;
        for (std::size_t i = 0; i < names.size(); ++i) {
            const torch::Tensor start = torch::randn(shapes[i]);
            ours.emplace_back(names[i], start.clone().requires_grad_(true));
            reference.push_back(start.clone().requires_grad_(true));
        }
        engine::OptimizerConfig config;
        config.learningRate = 3e-3;
        config.loraPlusRatio = 16;
        config.weightDecay = 0.05;
        engine::LoraPlusOptimizer optimizer(ours, config);
        optimizer.setScheduleFactor(0.5);
        // The same groups, rates and decays for LibTorch's AdamW.
        std::vector<torch::optim::OptimizerParamGroup> groups;
        for (const auto &group : optimizer.groups()) {
            std::vector<torch::Tensor> members;
            for (const std::string &name : group.names)
                members.push_back(reference[static_cast<std::size_t>(
                    std::find(names.begin(), names.end(), name) - names.begin())]);
            auto options = std::make_unique<torch::optim::AdamWOptions>(group.baseLearningRate * 0.5);
            options->betas({ config.beta1, config.beta2 }).eps(config.epsilon).weight_decay(group.weightDecay);
            groups.emplace_back(members, std::move(options));
        }
        torch::optim::AdamW adamw(std::move(groups), torch::optim::AdamWOptions(config.learningRate));
        for (int step = 1; step <= 6; ++step) {
            optimizer.zeroGrad();
            adamw.zero_grad();
            for (std::size_t i = 0; i < names.size(); ++i) {
                if (step == 3 && i == 2) { // no gradient this step (zero_grad may only zero it)
                    ours[i].second.mutable_grad() = torch::Tensor();
                    reference[i].mutable_grad() = torch::Tensor();
                    continue;
                }
                const torch::Tensor gradient = torch::randn(shapes[i]);
                ours[i].second.mutable_grad() = gradient.clone();
                reference[i].mutable_grad() = gradient.clone();
            }
            optimizer.step();
            adamw.step();
        }
        const auto relative = [](const torch::Tensor &a, const torch::Tensor &b) {
            return ((a - b).abs().max() / b.abs().max()).item<double>();
        };
        for (std::size_t i = 0; i < names.size(); ++i) {
            QVERIFY2(relative(ours[i].second.detach(), reference[i].detach()) <= 1e-7, names[i].c_str());
            const auto &mine = static_cast<const torch::optim::AdamWParamState &>(
                *optimizer.adamw().state().at(engine::torchcompat::optimizerStateKey(ours[i].second)));
            const auto &theirs = static_cast<const torch::optim::AdamWParamState &>(
                *adamw.state().at(engine::torchcompat::optimizerStateKey(reference[i])));
            QCOMPARE(mine.step(), theirs.step());
            QCOMPARE(mine.step(), i == 2 ? std::int64_t(5) : std::int64_t(6));
            QVERIFY(relative(mine.exp_avg(), theirs.exp_avg()) <= 1e-7);
            QVERIFY(relative(mine.exp_avg_sq(), theirs.exp_avg_sq()) <= 1e-7);
        }
    }

    // An automatic λ per module type: each type's B matrices are a group of
    // their own, whose base rate follows its λ; parameters outside every type
    // the controller knows take the mean λ.
    void perModuleRatioGroups()
    {
        auto p = [](std::vector<std::int64_t> shape) { return torch::zeros(shape).requires_grad_(true); };
        const std::vector<std::pair<std::string, torch::Tensor>> named = {
            {"model.layers.0.self_attn.q_proj.lora_A.weight", p({4, 16})},
            {"model.layers.0.self_attn.q_proj.lora_B.weight", p({16, 4})},
            {"model.layers.0.self_attn.v_proj.lora_A.weight", p({4, 16})},
            {"model.layers.0.self_attn.v_proj.lora_B.weight", p({16, 4})},
            {"model.layers.1.self_attn.q_proj.lora_A.weight", p({4, 16})},
            {"model.layers.1.self_attn.q_proj.lora_B.weight", p({16, 4})},
            {"model.norm.weight", p({16})},
        };
        QCOMPARE(engine::moduleKindOf(named[1].first), std::string("q_proj"));
        QCOMPARE(engine::moduleKindOf("model.layers.0.mlp.down_proj.lora_magnitude_vector"), std::string("down_proj"));
        engine::OptimizerConfig config;
        config.learningRate = 1e-4;
        config.autoRatio = true;
        config.ratioScope = engine::RatioScope::Module;
        engine::LoraPlusOptimizer optimizer(named, config);
        const auto &groups = optimizer.groups();
        QCOMPARE(groups.size(), std::size_t(4)); // A, B q_proj, B v_proj, B_no_decay norm
        QCOMPARE(groups[1].ratioKey, std::string("q_proj"));
        QCOMPARE(groups[1].names.size(), std::size_t(2));
        QCOMPARE(groups[2].ratioKey, std::string("v_proj"));
        QCOMPARE(groups[3].ratioKey, std::string("norm"));
        QCOMPARE(groups[1].baseLearningRate, 1.6e-3); // the start value until the controller speaks
        optimizer.setRatios({{"q_proj", 4.0}, {"v_proj", 64.0}}, 16.0);
        optimizer.setScheduleFactor(1.0);
        const auto rates = optimizer.learningRates();
        QCOMPARE(rates[1].group, std::string("B_q_proj"));
        QCOMPARE(rates[1].lr, 4e-4);
        QCOMPARE(rates[2].group, std::string("B_v_proj"));
        QCOMPARE(rates[2].lr, 6.4e-3);
        QCOMPARE(rates[3].lr, 1.6e-3);
        QCOMPARE(rates[0].lr, 1e-4); // A never moves

        config.ratioScope = engine::RatioScope::Global; // one λ: one B group, named as before
        engine::LoraPlusOptimizer global(named, config);
        QCOMPARE(global.groups().size(), std::size_t(3));
        QCOMPARE(global.groups()[1].ratioKey, std::string("all"));
        QCOMPARE(global.learningRates()[1].group, std::string("B"));
    }

    // The Riemannian preconditioning against the formulas computed directly in
    // f64 with explicit inverses: ∇A ← (BᵀB + εI)⁻¹∇A, ∇B ← ∇B(AAᵀ + εI)⁻¹
    // (1e-5 relative, f32); and the optimizer applies it to every A/B pair
    // before its AdamW step, with B at the same rate as A.
    void riemannianPreconditioningMatchesTheFormulas()
    {
        torch::manual_seed(11);
        const double damping = 1e-3;
        const torch::Tensor a = torch::randn({3, 7}).requires_grad_(true);  // (R, I)
        const torch::Tensor b = torch::randn({5, 3}).requires_grad_(true);  // (O, R)
        const torch::Tensor gradA = torch::randn({3, 7}), gradB = torch::randn({5, 3});
        const torch::Tensor a64 = a.detach().to(torch::kDouble), b64 = b.detach().to(torch::kDouble);
        const torch::Tensor eye = torch::eye(3, torch::kDouble) * damping;
        const torch::Tensor expectA = torch::inverse(b64.t().mm(b64) + eye).mm(gradA.to(torch::kDouble));
        const torch::Tensor expectB = gradB.to(torch::kDouble).mm(torch::inverse(a64.mm(a64.t()) + eye));
        const auto relative = [](const torch::Tensor &x, const torch::Tensor &y) {
            return ((x.to(torch::kDouble) - y).abs().max() / y.abs().max()).item<double>();
        };

        a.mutable_grad() = gradA.clone();
        b.mutable_grad() = gradB.clone();
        engine::preconditionLoraGradients(a, b, damping);
        QVERIFY2(relative(a.grad(), expectA) <= 1e-5, "A");
        QVERIFY2(relative(b.grad(), expectB) <= 1e-5, "B");

        engine::OptimizerConfig config;
        config.kind = engine::OptimizerKind::Riemannian;
        config.riemannianDamping = damping;
        config.learningRate = 1e-2;
        config.loraPlusRatio = 16; // not used by the riemannian kind
        const torch::Tensor startA = a.detach().clone(), startB = b.detach().clone();
        engine::LoraPlusOptimizer optimizer({{"m.lora_A.weight", a}, {"m.lora_B.weight", b}}, config);
        QCOMPARE(optimizer.groups()[1].baseLearningRate, 1e-2);
        a.mutable_grad() = gradA.clone();
        b.mutable_grad() = gradB.clone();
        optimizer.step();
        QVERIFY2(relative(a.grad(), expectA) <= 1e-5, "optimizer A");
        QVERIFY2(relative(b.grad(), expectB) <= 1e-5, "optimizer B");
        // First AdamW step on the preconditioned gradient g: p − lr·g/(|g| + ε).
        const torch::Tensor stepA = startA.to(torch::kDouble) - 1e-2 * expectA / (expectA.abs() + 1e-8);
        QVERIFY(relative(a.detach(), stepA) <= 1e-6);
    }

    void nothingTrainableIsAnError()
    {
        QVERIFY_THROWS_EXCEPTION(engine::Error,
                                 engine::LoraPlusOptimizer({{"w", torch::zeros({2, 2})}}, engine::OptimizerConfig{}));
    }
};

QTEST_GUILESS_MAIN(TestLoraPlusOptimizer)
#include "test_loraplusoptimizer.moc"

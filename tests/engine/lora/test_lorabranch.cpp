// The fused LoRA branch against the composed ops it replaces, with an
// independent reference: y = base + s·((x ⊙ m/(1−p))·Aᵀ)·Bᵀ written with
// plain autograd, its mask taken from hashedDropout of a tensor of ones; and
// the hashed dropout's statistics, determinism and thread independence.
#include "engine/lora/lorabranch.h"
#include "tests/engine/tensorcompare.h"

#include <QTest>

namespace {

using test::relativeError;

constexpr double kTolerance = 1e-5; // relative, f32

struct Inputs
{
    torch::Tensor x, base, A, B;
};

Inputs randomInputs()
{
    torch::manual_seed(5);
    return { torch::randn({ 3, 7, 24 }).requires_grad_(true), torch::randn({ 3, 7, 40 }).requires_grad_(true),
        torch::randn({ 4, 24 }).mul_(0.3).requires_grad_(true), torch::randn({ 40, 4 }).mul_(0.3).requires_grad_(true) };
}

} // namespace

class TestLoraBranch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // About p of the elements are dropped, the rest scaled by 1/(1−p); the mask
    // depends only on the seed and the shape.
    void hashedDropoutStatistics()
    {
        const double p = 0.1;
        const std::int64_t n = 1 << 20;
        const torch::Tensor ones = torch::ones({ n });
        const torch::Tensor a = engine::hashedDropout(ones, p, 1234);
        const double dropped = (a == 0).sum().item<double>() / static_cast<double>(n);
        // Binomial standard deviation sqrt(p(1−p)/n) = 2.9e-4: five of them.
        QVERIFY2(std::abs(dropped - p) < 1.5e-3, std::to_string(dropped).c_str());
        QCOMPARE((a != 0).logical_and(a != static_cast<float>(1.0 / (1.0 - p))).sum().item<std::int64_t>(), 0);
        QVERIFY(torch::equal(engine::hashedDropout(ones, p, 1234), a));
        const torch::Tensor other = engine::hashedDropout(ones, p, 1235);
        const double agree = (other == a).to(torch::kDouble).mean().item<double>();
        QVERIFY2(agree < 0.85, std::to_string(agree).c_str()); // independent masks agree on 0.82 of the elements
        // Neighbouring elements are independent: P(both dropped) ≈ p².
        const torch::Tensor both = (a.slice(0, 0, n - 1) == 0).logical_and(a.slice(0, 1, n) == 0);
        QVERIFY(std::abs(both.to(torch::kDouble).mean().item<double>() - p * p) < 1e-3);

        const int threads = torch::get_num_threads();
        torch::set_num_threads(1);
        const torch::Tensor serial = engine::hashedDropout(ones, p, 99);
        torch::set_num_threads(2);
        const torch::Tensor parallel = engine::hashedDropout(ones, p, 99);
        torch::set_num_threads(threads);
        QVERIFY(torch::equal(serial, parallel));
        // A strided input gives the mask of its contiguous copy.
        const torch::Tensor wide = torch::randn({ 64, 32 });
        QVERIFY(torch::equal(engine::hashedDropout(wide.t(), p, 7), engine::hashedDropout(wide.t().contiguous(), p, 7)));
        QCOMPARE(engine::hashedDropout(ones.slice(0, 0, 10), 0.0, 3).sum().item<double>(), 10.0);
    }

    void matchesComposedOps_data()
    {
        QTest::addColumn<double>("p");
        QTest::newRow("no dropout") << 0.0;
        QTest::newRow("dropout 0.2") << 0.2;
    }

    // Output and the gradients of x, the base output, A and B.
    void matchesComposedOps()
    {
        QFETCH(double, p);
        const double scaling = 1.75;
        const std::uint64_t seed = 0x1234'5678'9ABCull;
        const Inputs fused = randomInputs();
        const torch::Tensor y = engine::loraBranch(fused.x, fused.base, fused.A, fused.B, scaling, p, seed);
        const torch::Tensor weights = torch::randn_like(y); // a loss that weighs every output differently
        (y * weights).sum().backward();

        const Inputs plain = randomInputs();
        const torch::Tensor mask = engine::hashedDropout(torch::ones_like(plain.x), p, seed); // (N…, I), no grad
        const torch::Tensor dropped = p > 0.0 ? plain.x * mask : plain.x;
        const torch::Tensor expected
            = plain.base + torch::matmul(torch::matmul(dropped, plain.A.t()), plain.B.t()) * scaling;
        (expected * weights).sum().backward();

        QCOMPARE(y.sizes(), expected.sizes());
        QVERIFY(relativeError(y, expected) < kTolerance);
        QVERIFY(relativeError(fused.x.grad(), plain.x.grad()) < kTolerance);
        QVERIFY(relativeError(fused.base.grad(), plain.base.grad()) < kTolerance);
        QVERIFY(relativeError(fused.A.grad(), plain.A.grad()) < kTolerance);
        QVERIFY(relativeError(fused.B.grad(), plain.B.grad()) < kTolerance);
        if (p > 0.0) // the mask really was applied in both directions
            QVERIFY((fused.x.grad() == 0).sum().item<std::int64_t>() > 0);
    }

    // Frozen inputs get no gradient and cost nothing; the adapters still do.
    void frozenInputs()
    {
        Inputs in = randomInputs();
        const torch::Tensor x = in.x.detach(), base = in.base.detach();
        const torch::Tensor y = engine::loraBranch(x, base, in.A, in.B, 1.0, 0.1, 3);
        y.sum().backward();
        QVERIFY(in.A.grad().defined() && in.B.grad().defined());
        QVERIFY(!x.grad().defined());
    }
};

QTEST_GUILESS_MAIN(TestLoraBranch)
#include "test_lorabranch.moc"

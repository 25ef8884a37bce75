// The fused CPU attention against an independent double-precision reference
// written with plain autograd ops (repeated key/value heads, an explicit -inf
// mask, softmax): outputs and the gradients of q, k and v within 1e-5
// relative, for multi-head and grouped-query shapes, a sliding window, queries
// after cached keys, Gemma's query scaling and logit soft-capping (with a
// window), and strided inputs as the models pass them.
#include "engine/model/attention.h"
#include "engine/model/cpuattention.h"
#include "tests/engine/tensorcompare.h"

#include <QTest>

#include <cmath>
#include <limits>

namespace {

using test::relativeError;

constexpr double kTolerance = 1e-5; // relative, f32

torch::Tensor referenceAttention(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v,
    std::int64_t start, std::int64_t window, double scale, double softcap)
{
    const std::int64_t T = q.size(2), S = k.size(2), groups = q.size(1) / k.size(1);
    const torch::Tensor keys = k.repeat_interleave(groups, 1), values = v.repeat_interleave(groups, 1);
    torch::Tensor mask = torch::zeros({ T, S });
    for (std::int64_t i = 0; i < T; ++i)
        for (std::int64_t j = 0; j < S; ++j) {
            const std::int64_t queryPos = start + i, keyPos = start + T - S + j;
            if (keyPos > queryPos || (window > 0 && queryPos - keyPos >= window))
                mask[i][j] = -std::numeric_limits<float>::infinity();
        }
    torch::Tensor scores = torch::matmul(q, keys.transpose(-2, -1)) * (scale > 0 ? scale : 1.0 / std::sqrt(double(q.size(3))));
    if (softcap > 0)
        scores = softcap * torch::tanh(scores / softcap);
    scores = scores + mask.to(scores.scalar_type());
    return torch::matmul(torch::softmax(scores, -1), values);
}

} // namespace

class TestCpuAttention : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matchesReference_data()
    {
        QTest::addColumn<int>("heads");
        QTest::addColumn<int>("kvHeads");
        QTest::addColumn<int>("T");
        QTest::addColumn<int>("S");
        QTest::addColumn<int>("window");
        QTest::addColumn<double>("scale");
        QTest::addColumn<double>("softcap");
        QTest::newRow("multi-head") << 4 << 4 << 9 << 9 << 0 << 0.0 << 0.0;
        QTest::newRow("grouped-query") << 6 << 2 << 9 << 9 << 0 << 0.0 << 0.0;
        QTest::newRow("sliding window") << 4 << 2 << 12 << 12 << 5 << 0.0 << 0.0;
        QTest::newRow("after cached keys") << 4 << 2 << 3 << 11 << 0 << 0.0 << 0.0;
        QTest::newRow("one new token, window") << 4 << 1 << 1 << 11 << 4 << 0.0 << 0.0;
        QTest::newRow("query scalar, soft-capped") << 4 << 2 << 9 << 9 << 0 << 0.5 << 2.0;
        QTest::newRow("soft-capped window, cached keys") << 6 << 2 << 4 << 12 << 5 << 0.0 << 1.5;
    }

    void matchesReference()
    {
        QFETCH(int, heads);
        QFETCH(int, kvHeads);
        QFETCH(int, T);
        QFETCH(int, S);
        QFETCH(int, window);
        QFETCH(double, scale);
        QFETCH(double, softcap);
        const std::int64_t B = 2, hd = 8, start = S - T;
        torch::manual_seed(17);
        // As GPT-2 passes them: heads cut out of one (B, T, 3·C) projection, then transposed.
        const torch::Tensor qBase = torch::randn({ B, T, heads * hd * 2 });
        const torch::Tensor kvBase = torch::randn({ B, S, kvHeads * hd * 2 });
        auto leaves = [&](torch::ScalarType dtype) {
            return std::array<torch::Tensor, 3> { qBase.to(dtype).clone().requires_grad_(true),
                kvBase.to(dtype).clone().requires_grad_(true), kvBase.mul(0.5).to(dtype).requires_grad_(true) };
        };
        auto split = [&](const std::array<torch::Tensor, 3> &l) {
            const torch::Tensor q = l[0].slice(2, 0, heads * hd).view({ B, T, heads, hd }).transpose(1, 2);
            const torch::Tensor k = l[1].slice(2, hd, hd + kvHeads * hd).view({ B, S, kvHeads, hd }).transpose(1, 2);
            const torch::Tensor v = l[2].slice(2, 0, kvHeads * hd).view({ B, S, kvHeads, hd }).transpose(1, 2);
            return std::array<torch::Tensor, 3> { q, k, v };
        };
        const auto fusedLeaves = leaves(torch::kFloat32), plainLeaves = leaves(torch::kFloat64);
        const auto f = split(fusedLeaves), p = split(plainLeaves);
        const torch::Tensor fused = engine::cpuCausalAttention(f[0], f[1], f[2], start, window, scale, softcap);
        const torch::Tensor plain = referenceAttention(p[0], p[1], p[2], start, window, scale, softcap);
        QCOMPARE(fused.sizes(), plain.sizes());
        const double outError = relativeError(fused.to(torch::kFloat64), plain);
        QVERIFY2(outError < kTolerance, std::to_string(outError).c_str());
        const torch::Tensor weights = torch::randn_like(plain);
        (fused * weights.to(torch::kFloat32)).sum().backward();
        (plain * weights).sum().backward();
        for (int i = 0; i < 3; ++i) {
            const double error = relativeError(fusedLeaves[i].grad().to(torch::kFloat64), plainLeaves[i].grad());
            QVERIFY2(error < kTolerance, (std::to_string(i) + ": " + std::to_string(error)).c_str());
        }
    }

    // causalAttention's composed path (here f64) applies the same scale and soft-cap.
    void composedPathSoftCaps()
    {
        torch::manual_seed(5);
        const torch::Tensor q = torch::randn({ 1, 4, 7, 8 }, torch::kFloat64), k = torch::randn({ 1, 2, 7, 8 }, torch::kFloat64),
                            v = torch::randn({ 1, 2, 7, 8 }, torch::kFloat64);
        const torch::Tensor composed = engine::causalAttention(q, k, v, 0, 3, 0.7, 1.2);
        const torch::Tensor reference = referenceAttention(q, k, v, 0, 3, 0.7, 1.2);
        QVERIFY(relativeError(composed, reference) < 1e-12);
        const torch::Tensor fused = engine::causalAttention(q.to(torch::kFloat32), k.to(torch::kFloat32),
            v.to(torch::kFloat32), 0, 3, 0.7, 1.2);
        QVERIFY(relativeError(fused.to(torch::kFloat64), reference) < kTolerance);
    }

    // Two threads give the one-thread result (each head is one task).
    void sameOnAnyThreadCount()
    {
        torch::manual_seed(3);
        const torch::Tensor q = torch::randn({ 2, 4, 16, 8 }), k = torch::randn({ 2, 2, 16, 8 }),
                            v = torch::randn({ 2, 2, 16, 8 });
        const int threads = torch::get_num_threads();
        torch::set_num_threads(1);
        const torch::Tensor one = engine::cpuCausalAttention(q, k, v, 0, 0);
        torch::set_num_threads(2);
        const torch::Tensor two = engine::cpuCausalAttention(q, k, v, 0, 0);
        torch::set_num_threads(threads);
        QVERIFY(torch::equal(one, two));
    }
};

QTEST_GUILESS_MAIN(TestCpuAttention)
#include "test_cpuattention.moc"

// The fused element-wise ops against independent references computed in
// double precision from their formulas with plain autograd ops: outputs and
// input gradients within 1e-5 relative (f32) — RMSNorm (also Gemma's 1 + weight),
// SwiGLU, GeGLU, tanh GELU, rotary —, on odd sizes that leave vector
// tails, saturating inputs (|x| up to 100) for the sigmoid-based ones, and
// strided inputs; the composed fall-back (f64 here) against the same
// reference; results independent of the thread count.
#include "engine/model/fusedops.h"
#include "tests/engine/tensorcompare.h"

#include <QTest>

#include <cmath>
#include <functional>
#include <vector>

namespace {

using test::relativeError;

constexpr double kTolerance = 1e-5; // relative, f32

using Op = std::function<torch::Tensor(const std::vector<torch::Tensor> &)>;

// Runs op on f32 copies of inputs and reference on f64 copies, with the same
// random output gradient, and returns the worst relative error over the
// output and every input gradient.
double worstError(const std::vector<torch::Tensor> &inputs, const Op &op, const Op &reference)
{
    std::vector<torch::Tensor> single, twice;
    for (const torch::Tensor &t : inputs) {
        single.push_back(t.to(torch::kFloat32).detach().requires_grad_(true));
        twice.push_back(t.to(torch::kFloat64).detach().requires_grad_(true));
    }
    const torch::Tensor y = op(single), expected = reference(twice);
    const torch::Tensor grad = torch::randn(expected.sizes(), torch::kFloat64);
    y.backward(grad.to(torch::kFloat32));
    expected.backward(grad);
    double worst = relativeError(y.to(torch::kFloat64), expected.detach());
    for (std::size_t i = 0; i < single.size(); ++i)
        worst = std::max(worst, relativeError(single[i].grad().to(torch::kFloat64), twice[i].grad()));
    return worst;
}

torch::Tensor referenceRmsNorm(const torch::Tensor &x, const torch::Tensor &w, double eps)
{
    return w * x / torch::sqrt(x.pow(2).mean(-1, true) + eps);
}

torch::Tensor referenceGelu(const torch::Tensor &x)
{
    return 0.5 * x * (1.0 + torch::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x.pow(3))));
}

// x (B, T, h, hd) -> (B, h, T, hd), element i paired with i + hd/2.
torch::Tensor referenceRotary(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin)
{
    const torch::Tensor heads = x.permute({ 0, 2, 1, 3 });
    const std::int64_t half = heads.size(-1) / 2;
    const torch::Tensor first = heads.narrow(-1, 0, half), second = heads.narrow(-1, half, half);
    return heads * cos + torch::cat({ second.neg(), first }, -1) * sin;
}

torch::Tensor saturating(std::vector<std::int64_t> shape)
{
    torch::Tensor x = torch::randn(shape) * 4.0; // (..., n)
    x.view(-1).slice(0, 0, 6).copy_(torch::tensor({ -100.0, -30.0, -9.0, 9.0, 30.0, 100.0 }));
    return x;
}

} // namespace

class TestFusedOps : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(7); }

    void rmsNormMatchesReference()
    {
        for (const std::int64_t n : { 2, 13, 64, 771 }) { // (n = 1 cancels to ~0 in any f32 form)
            const torch::Tensor x = torch::randn({ 3, 5, n }), w = torch::rand({ n }) + 0.5;
            const double error = worstError(
                { x, w }, [](const auto &in) { return engine::rmsNorm(in[0], in[1], 1e-6); },
                [](const auto &in) { return referenceRmsNorm(in[0], in[1], 1e-6); });
            QVERIFY2(error < kTolerance, qPrintable(QStringLiteral("n = %1: %2").arg(n).arg(error)));
        }
    }

    void rmsNormOfAZeroRowIsZero()
    {
        const torch::Tensor x = torch::zeros({ 2, 40 }, torch::requires_grad());
        const torch::Tensor y = engine::rmsNorm(x, torch::ones({ 40 }), 1e-6);
        QCOMPARE(y.abs().max().item<float>(), 0.0f);
        y.sum().backward();
        QVERIFY(torch::isfinite(x.grad()).all().item<bool>());
    }

    void swiGluMatchesReference()
    {
        const torch::Tensor gate = saturating({ 2, 7, 99 }), up = torch::randn({ 2, 7, 99 });
        const double error = worstError(
            { gate, up }, [](const auto &in) { return engine::swiGlu(in[0], in[1]); },
            [](const auto &in) { return in[0] * torch::sigmoid(in[0]) * in[1]; });
        QVERIFY2(error < kTolerance, qPrintable(QString::number(error)));
    }

    void geGluMatchesReference()
    {
        const torch::Tensor gate = saturating({ 2, 7, 99 }), up = torch::randn({ 2, 7, 99 });
        const double error = worstError(
            { gate, up }, [](const auto &in) { return engine::geGlu(in[0], in[1]); },
            [](const auto &in) { return referenceGelu(in[0]) * in[1]; });
        QVERIFY2(error < kTolerance, qPrintable(QString::number(error)));
    }

    // Gemma's RMSNorm: the fused kernel with (1 + weight) against x·(1 + w)/rms in f64,
    // the gradient of the zero-centred stored weight included.
    void rmsNormPlusOneMatchesReference()
    {
        const torch::Tensor x = torch::randn({ 3, 5, 37 }), w = torch::randn({ 37 }) * 0.3;
        const double error = worstError(
            { x, w }, [](const auto &in) { return engine::rmsNorm(in[0], in[1] + 1.0, 1e-6); },
            [](const auto &in) { return referenceRmsNorm(in[0], 1.0 + in[1], 1e-6); });
        QVERIFY2(error < kTolerance, qPrintable(QString::number(error)));
    }

    void geluTanhMatchesReference()
    {
        const torch::Tensor x = saturating({ 3, 4, 101 });
        const double error = worstError(
            { x }, [](const auto &in) { return engine::geluTanh(in[0]); },
            [](const auto &in) { return referenceGelu(in[0]); });
        QVERIFY2(error < kTolerance, qPrintable(QString::number(error)));
    }

    void rotaryMatchesReference()
    {
        for (const std::int64_t hd : { 2, 6, 64 }) {
            const std::int64_t T = 5;
            const torch::Tensor x = torch::randn({ 2, T, 3, hd });
            const torch::Tensor angles = torch::rand({ T, hd }) * 6.0;
            const torch::Tensor cos = angles.cos(), sin = angles.sin();
            const double error = worstError(
                { x }, [&](const auto &in) { return engine::rotaryHeads(in[0], cos, sin); },
                [&](const auto &in) {
                    return referenceRotary(in[0], cos.to(torch::kFloat64), sin.to(torch::kFloat64));
                });
            QVERIFY2(error < kTolerance, qPrintable(QStringLiteral("hd = %1: %2").arg(hd).arg(error)));
            QVERIFY(engine::rotaryHeads(x, cos, sin).is_contiguous());
        }
    }

    // The models pass views: a head split of a projection, a transposed tensor.
    void stridedInputs()
    {
        const torch::Tensor base = torch::randn({ 2, 6, 8, 10 });
        const torch::Tensor strided = base.transpose(1, 2); // (2, 8, 6, 10), not contiguous
        const torch::Tensor w = torch::rand({ 10 }) + 0.5;
        QVERIFY(relativeError(engine::rmsNorm(strided, w, 1e-5),
                    referenceRmsNorm(strided.to(torch::kFloat64), w.to(torch::kFloat64), 1e-5).to(torch::kFloat32))
            < kTolerance);
        QVERIFY(relativeError(engine::swiGlu(strided, strided * 2.0), strided * torch::sigmoid(strided) * strided * 2.0)
            < kTolerance);
        QVERIFY(relativeError(engine::geGlu(strided, strided * 2.0), engine::geluTanh(strided) * strided * 2.0)
            < kTolerance);
        const torch::Tensor angles = torch::rand({ 8, 10 });
        QVERIFY(relativeError(engine::rotaryHeads(strided, angles.cos(), angles.sin()),
                    referenceRotary(strided, angles.cos(), angles.sin()))
            < kTolerance);
    }

    // Not f32 on the CPU: the same functions from LibTorch ops (RMSNorm still
    // normalises in f32, as transformers does).
    void composedFallback()
    {
        const torch::Tensor x = torch::randn({ 2, 3, 4, 8 }, torch::kFloat64);
        const torch::Tensor w = torch::rand({ 8 }, torch::kFloat64);
        QVERIFY(relativeError(engine::rmsNorm(x, w, 1e-6), referenceRmsNorm(x, w, 1e-6)) < kTolerance); // in f32
        QVERIFY(relativeError(engine::geluTanh(x), referenceGelu(x)) < 1e-12);
        QVERIFY(relativeError(engine::swiGlu(x, w * x), x * torch::sigmoid(x) * w * x) < 1e-12);
        QVERIFY(relativeError(engine::geGlu(x, w * x), referenceGelu(x) * w * x) < 1e-12);
        const torch::Tensor angles = torch::rand({ 3, 8 }, torch::kFloat64);
        QVERIFY(relativeError(engine::rotaryHeads(x, angles.cos(), angles.sin()),
                    referenceRotary(x, angles.cos(), angles.sin()))
            < 1e-12);
    }

    // Rows and ranges are split over the threads, never summed across them.
    void independentOfThreadCount()
    {
        const torch::Tensor x = torch::randn({ 64, 1000 }), w = torch::rand({ 1000 });
        const int threads = torch::get_num_threads();
        torch::set_num_threads(1);
        const torch::Tensor one = engine::rmsNorm(x, w, 1e-6), gOne = engine::geluTanh(x);
        torch::set_num_threads(3);
        const torch::Tensor three = engine::rmsNorm(x, w, 1e-6), gThree = engine::geluTanh(x);
        torch::set_num_threads(threads);
        QVERIFY(torch::equal(one, three));
        QVERIFY(torch::equal(gOne, gThree));
    }
};

QTEST_GUILESS_MAIN(TestFusedOps)
#include "test_fusedops.moc"

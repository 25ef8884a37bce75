// NF4 base weights (QLoRA): the code book and dynamic map against methods.md
// and their defining formulas, quantisation against a brute-force nearest-
// value reference (packing, partial blocks, double quantisation), the error
// bound, the stored size, the on-the-fly linear and its gradient against
// autograd through the dequantised weight, and a tiny model whose quantised
// forward and LoRA gradients equal those of the same model holding the
// dequantised weights in f32.
#include "engine/core/status.h"
#include "engine/lora/loramodel.h"
#include "engine/model/causallm.h"
#include "engine/quant/basequantization.h"
#include "engine/quant/nf4.h"
#include "tests/engine/model/tinymodel.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace {

double maxRelativeError(const torch::Tensor &a, const torch::Tensor &b)
{
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item<double>();
}

// Index of the value nearest to x, by scanning the whole table.
template <std::size_t N>
int nearest(const std::array<float, N> &table, float x)
{
    int best = 0;
    for (std::size_t i = 1; i < N; ++i)
        if (std::abs(table[i] - x) < std::abs(table[static_cast<std::size_t>(best)] - x))
            best = static_cast<int>(i);
    return best;
}

// The 4-bit index of element e, read from the packed bytes (high nibble first).
int unpacked(const engine::Nf4Weight &w, std::int64_t e)
{
    const std::uint8_t byte = w.packed[e / 2].item<std::uint8_t>();
    return e % 2 == 0 ? byte >> 4 : byte & 0x0F;
}

engine::CausalLm tinyModel(const QTemporaryDir &dir, const std::string &type)
{
    const std::string config = tiny::configJson(type);
    tiny::writeModel(dir.path(), config, tiny::randomWeights(config, 3));
    return engine::loadCausalLm(dir.path().toStdString());
}

} // namespace

class TestNf4 : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void codeBookIsTheQloraTable()
    {
        // methods.md §2.6, bitsandbytes get_4bit_type("nf4").
        const std::array<double, 16> expected = { -1.0, -0.6961928009986877, -0.5250730514526367,
            -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
            0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
            0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0 };
        for (std::size_t i = 0; i < 16; ++i)
            QCOMPARE(static_cast<double>(engine::nf4CodeBook()[i]), static_cast<double>(static_cast<float>(expected[i])));
    }

    void dynamicMapFollowsItsDefinition()
    {
        const auto &map = engine::nf4DynamicMap();
        QVERIFY(std::is_sorted(map.begin(), map.end()));
        QCOMPARE(map.back(), 1.0f);
        QCOMPARE(std::count(map.begin(), map.end(), 0.0f), 1L);
        QCOMPARE(std::count_if(map.begin(), map.end(), [](float v) { return v > 0.0f; }), 128L); // 127 + 1.0
        QCOMPARE(std::count_if(map.begin(), map.end(), [](float v) { return v < 0.0f; }), 127L);
        // Smallest magnitude: exponent 0 has one fraction, the mean of 0.1 and 1, times 1e-6.
        const float smallest = *std::upper_bound(map.begin(), map.end(), 0.0f);
        QVERIFY(std::abs(smallest - 0.55e-6f) < 1e-12f);
        // Largest below 1: exponent 6 splits [0.1, 1] in 64 steps; the last mean is 1 − 0.9/128.
        QVERIFY(std::abs(map[254] - (1.0f - 0.9f / 128.0f)) < 1e-6f);
        QVERIFY(std::abs(map[0] + (1.0f - 0.9f / 128.0f)) < 1e-6f);
    }

    void quantisesToTheNearestCodePerBlock()
    {
        // 7 × 19 = 133 weights: two full blocks, a partial one, an odd count.
        torch::manual_seed(1);
        const torch::Tensor w = torch::randn({ 7, 19 }) * 0.02;
        const engine::Nf4Weight q = engine::quantizeNf4(w, { 64, false, 256 });
        QCOMPARE(q.blocks(), 3L);
        QCOMPARE(q.packed.numel(), 67L);
        QVERIFY(!q.doubleQuantized());
        const torch::Tensor flat = w.reshape({ -1 });
        for (std::int64_t b = 0; b < 3; ++b) {
            const torch::Tensor block = flat.slice(0, b * 64, std::min<std::int64_t>(133, b * 64 + 64));
            QCOMPARE(q.absmax[b].item<float>(), block.abs().max().item<float>());
        }
        int mismatches = 0;
        for (std::int64_t e = 0; e < 133; ++e) {
            const float absmax = q.absmax[e / 64].item<float>();
            mismatches += unpacked(q, e) != nearest(engine::nf4CodeBook(), flat[e].item<float>() / absmax);
        }
        QCOMPARE(mismatches, 0);
        QCOMPARE(q.packed[66].item<std::uint8_t>() & 0x0F, 0); // the padding nibble

        const torch::Tensor restored = engine::dequantizeNf4(q);
        QCOMPARE(restored.sizes(), w.sizes());
        for (std::int64_t e = 0; e < 133; e += 11) {
            const float expected = engine::nf4CodeBook()[static_cast<std::size_t>(unpacked(q, e))]
                * q.absmax[e / 64].item<float>();
            QCOMPARE(restored.reshape({ -1 })[e].item<float>(), expected);
        }
    }

    void packsTheFirstElementInTheHighNibble()
    {
        // Block max 1: −1 is index 0, 1 is index 15, 0 is index 7.
        const torch::Tensor w = torch::tensor({ 1.0f, -1.0f, 0.0f, 1.0f });
        const engine::Nf4Weight q = engine::quantizeNf4(w, { 64, false, 256 });
        QCOMPARE(static_cast<int>(q.packed[0].item<std::uint8_t>()), 0xF0);
        QCOMPARE(static_cast<int>(q.packed[1].item<std::uint8_t>()), 0x7F);
        QVERIFY(torch::equal(engine::dequantizeNf4(q), w));
    }

    void doubleQuantisesTheBlockMaxima()
    {
        torch::manual_seed(2);
        const torch::Tensor w = torch::randn({ 300, 200 }) * torch::rand({ 300, 1 }); // maxima that vary
        const engine::Nf4Weight plain = engine::quantizeNf4(w, { 64, false, 256 });
        const engine::Nf4Weight dq = engine::quantizeNf4(w, { 64, true, 256 });
        QVERIFY(dq.doubleQuantized());
        const std::int64_t blocks = dq.blocks(); // 938: 3 groups of 256, the last partial
        QCOMPARE(blocks, 938L);
        QCOMPARE(dq.absmaxScales.numel(), 4L);
        const double mean = plain.absmax.to(torch::kDouble).mean().item<double>();
        QVERIFY(std::abs(dq.absmaxOffset - mean) <= 1e-6 * mean); // stored as f32

        const torch::Tensor centred = plain.absmax - static_cast<float>(dq.absmaxOffset);
        int mismatches = 0;
        for (std::int64_t g = 0; g < 4; ++g) {
            const torch::Tensor group = centred.slice(0, g * 256, std::min<std::int64_t>(blocks, g * 256 + 256));
            const float scale = group.abs().max().item<float>();
            QCOMPARE(dq.absmaxScales[g].item<float>(), scale);
            for (std::int64_t i = 0; i < group.numel(); ++i)
                mismatches += dq.absmaxCodes[g * 256 + i].item<std::uint8_t>()
                    != nearest(engine::nf4DynamicMap(), group[i].item<float>() / scale);
        }
        QVERIFY2(mismatches <= 2, qPrintable(QString::number(mismatches))); // ties at midpoints may differ
        // The map's largest step (near ±1) is 0.9/64, so a restored maximum is off by at most half of it.
        const torch::Tensor restored = engine::nf4Absmax(dq);
        const double bound = 0.9 / 128 * dq.absmaxScales.max().item<double>() + 1e-6;
        QVERIFY((restored - plain.absmax).abs().max().item<double>() <= bound);
    }

    void errorStaysWithinHalfTheWidestGap()
    {
        torch::manual_seed(3);
        const torch::Tensor w = torch::randn({ 128, 96 }) * 0.05;
        const engine::Nf4Weight q = engine::quantizeNf4(w, { 64, false, 256 });
        const torch::Tensor error = (engine::dequantizeNf4(q) - w).reshape({ -1, 64 }).abs(); // (blocks, 64)
        double halfGap = 0.0; // half the widest gap of the code book (between −1 and its neighbour)
        for (std::size_t i = 0; i + 1 < 16; ++i)
            halfGap = std::max(halfGap, (engine::nf4CodeBook()[i + 1] - engine::nf4CodeBook()[i]) / 2.0);
        const torch::Tensor bound = q.absmax.unsqueeze(1) * halfGap + 1e-7;
        QVERIFY((error <= bound).all().item<bool>());
        // And it is a useful approximation of a Gaussian weight: about 10 % RMS error (QLoRA's data type).
        const double relativeRms = ((engine::dequantizeNf4(q) - w).square().mean().sqrt() / w.square().mean().sqrt())
                                       .item<double>();
        QVERIFY2(relativeRms < 0.12, qPrintable(QString::number(relativeRms)));
    }

    void storesAboutFourPointOneBitsPerWeight()
    {
        const engine::Nf4Weight q = engine::quantizeNf4(torch::randn({ 1024, 1024 }));
        const std::int64_t n = 1024 * 1024, blocks = n / 64;
        QCOMPARE(q.bytes(), n / 2 + blocks + 4 * ((blocks + 255) / 256));
        QVERIFY(std::abs(8.0 * static_cast<double>(q.bytes()) / n - 4.127) < 0.001);
    }

    void rejectsBadOptions()
    {
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::quantizeNf4(torch::randn({ 8 }), { 48, true, 256 }));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::quantizeNf4(torch::randn({ 8 }), { 64, true, 100 }));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::quantizeNf4(torch::ones({ 8 }, torch::kInt64)));
    }

    void linearMatchesTheDequantisedWeight_data()
    {
        QTest::addColumn<bool>("transposed");
        QTest::newRow("[out, in]") << false;
        QTest::newRow("[in, out] (Conv1D)") << true;
    }

    void linearMatchesTheDequantisedWeight()
    {
        QFETCH(bool, transposed);
        torch::manual_seed(4);
        const torch::Tensor w = transposed ? torch::randn({ 48, 80 }) : torch::randn({ 80, 48 }); // in 48, out 80
        const torch::Tensor bias = torch::randn({ 80 });
        const engine::Nf4Weight q = engine::quantizeNf4(w);
        const torch::Tensor reference = engine::dequantizeNf4(q);
        const torch::Tensor x = torch::randn({ 2, 5, 48 }, torch::requires_grad());
        const torch::Tensor upstream = torch::randn({ 2, 5, 80 });

        const torch::Tensor y = engine::nf4Linear(x, q, bias, transposed);
        const torch::Tensor gradX = torch::autograd::grad({ y }, { x }, { upstream })[0];
        const torch::Tensor expectedY = torch::matmul(x, transposed ? reference : reference.t()) + bias;
        const torch::Tensor expectedGrad = torch::autograd::grad({ expectedY }, { x }, { upstream })[0];
        QVERIFY(maxRelativeError(y, expectedY) < 1e-6);
        QVERIFY(maxRelativeError(gradX, expectedGrad) < 1e-6);
    }

    void quantisedModelEqualsItsDequantisedCopy_data()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("llama") << QStringLiteral("llama");
        QTest::newRow("gpt2") << QStringLiteral("gpt2");
    }

    // The same tiny model twice: one quantised, the other holding the
    // dequantised weights in f32. Logits and LoRA gradients must agree.
    void quantisedModelEqualsItsDequantisedCopy()
    {
        QFETCH(QString, type);
        QTemporaryDir dir;
        const engine::CausalLm quantised = tinyModel(dir, type.toStdString());
        const engine::CausalLm copy = tinyModel(dir, type.toStdString());
        const engine::BaseQuantization summary = engine::quantizeBaseNf4(quantised);
        QVERIFY(summary.projections > 0);
        QVERIFY(summary.bytesAfter * 7 < summary.bytesBefore); // 4.13 of 32 bits
        {
            torch::NoGradGuard noGrad;
            const auto q = quantised.linearModules(), c = copy.linearModules();
            for (std::size_t i = 0; i < q.size(); ++i) {
                QCOMPARE(q[i].module->isQuantized(), q[i].layer >= 0 && !q[i].module->isTied());
                if (q[i].module->isQuantized())
                    c[i].module->weight.copy_(c[i].module->isConv1d() ? q[i].module->weightOutIn().t()
                                                                       : q[i].module->weightOutIn());
            }
        }
        const torch::Tensor ids = tiny::randomIds(2, 9, quantised.config().vocabSize);
        engine::LoraConfig config;
        config.alpha = 16.0;
        config.dropout = 0.0; // both models must compute the same thing
        engine::LoraModel loraQ = engine::LoraModel::inject(quantised, config, 5);
        engine::LoraModel loraC = engine::LoraModel::inject(copy, config, 5);
        {
            torch::NoGradGuard noGrad;
            torch::manual_seed(9);
            for (auto &[name, tensor] : loraQ.namedParameters())
                tensor.copy_(torch::randn_like(tensor) * 0.05);
            auto q = loraQ.namedParameters(), c = loraC.namedParameters();
            for (std::size_t i = 0; i < q.size(); ++i)
                c[i].second.copy_(q[i].second);
        }
        const torch::Tensor logitsQ = quantised.forward(ids), logitsC = copy.forward(ids);
        QVERIFY2(maxRelativeError(logitsQ, logitsC) < 1e-5, qPrintable(QString::number(maxRelativeError(logitsQ, logitsC))));
        logitsQ.square().mean().backward();
        logitsC.square().mean().backward();
        auto q = loraQ.namedParameters(), c = loraC.namedParameters();
        for (std::size_t i = 0; i < q.size(); ++i)
            QVERIFY2(maxRelativeError(q[i].second.grad(), c[i].second.grad()) < 1e-4, q[i].first.c_str());
        // Merging needs the full-precision base.
        QVERIFY_THROWS_EXCEPTION(engine::Error, loraQ.merge());
    }
};

QTEST_APPLESS_MAIN(TestNf4)
#include "test_nf4.moc"

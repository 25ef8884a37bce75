// core/torchcompat.h, what runs on any machine: the header version agrees
// with the one CMake's find_package(Torch) reported (an independent source:
// TorchConfigVersion.cmake); the CUDA autocast switches round-trip and
// AutocastScope nests and restores them; with LibTorch 2.0+ the fused
// scaled_dot_product_attention equals the engine's own CPU attention kernel
// (cpuattention.h) at 1e-5 for plain and grouped-query heads, and on 1.13 it
// refuses with an error; without a CUDA LibTorch the CUDA facts are absent.
// The same header is compiled as C++20 by lf_engine_cxx20_check.
#include "engine/core/status.h"
#include "engine/core/torchcompat.h"
#include "engine/model/attention.h"
#include "engine/train/autocastscope.h"
#include "tests/engine/tensorcompare.h"

#include <QTest>

class TestTorchCompat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void headerVersionIsTheOneCMakeFound()
    {
        const std::string cmake = LF_TORCH_CMAKE_VERSION; // e.g. "1.13.0" or "2.11.0"
        const std::string header = engine::torchcompat::headerVersion();
        QVERIFY2(cmake.rfind(header.substr(0, header.rfind('.')), 0) == 0, (cmake + " vs " + header).c_str());
        QCOMPARE(engine::torchcompat::kHasSdpa, TORCH_VERSION_MAJOR >= 2);
        QCOMPARE(engine::torchcompat::kSdpaHasGqa, TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5));
    }

    void autocastSwitchesRoundTrip()
    {
        namespace tc = engine::torchcompat;
        QVERIFY(!tc::cudaAutocastEnabled());
        const at::ScalarType initial = tc::cudaAutocastDtype();
        tc::setCudaAutocast(true, at::kHalf);
        QVERIFY(tc::cudaAutocastEnabled());
        QCOMPARE(tc::cudaAutocastDtype(), at::kHalf);
        tc::setCudaAutocast(false, initial);
        QVERIFY(!tc::cudaAutocastEnabled());
        QCOMPARE(tc::cudaAutocastDtype(), initial);
    }

    void autocastScopeNestsAndRestores()
    {
        namespace tc = engine::torchcompat;
        const at::ScalarType initial = tc::cudaAutocastDtype();
        {
            const engine::AutocastScope outer(true);
            QVERIFY(tc::cudaAutocastEnabled());
            QCOMPARE(tc::cudaAutocastDtype(), at::kBFloat16);
            {
                const engine::AutocastScope inner(true);
                QVERIFY(tc::cudaAutocastEnabled());
            }
            QVERIFY(tc::cudaAutocastEnabled()); // the inner scope restored, not switched off
            const engine::AutocastScope cpu(torch::Device(torch::kCPU));
            QVERIFY(tc::cudaAutocastEnabled()); // a CPU scope leaves the mode alone
            // CUDA autocast does not touch CPU arithmetic.
            const torch::Tensor a = torch::randn({ 4, 4 });
            QCOMPARE(torch::matmul(a, a).scalar_type(), torch::kFloat);
        }
        QVERIFY(!tc::cudaAutocastEnabled());
        QCOMPARE(tc::cudaAutocastDtype(), initial);
    }

    void sdpaMatchesTheCpuKernel_data()
    {
        QTest::addColumn<int>("kvHeads");
        QTest::newRow("multi-head") << 4;
        QTest::newRow("grouped-query") << 2;
        QTest::newRow("multi-query") << 1;
    }

    void sdpaMatchesTheCpuKernel()
    {
        QFETCH(int, kvHeads);
        torch::manual_seed(3);
        const torch::Tensor q = torch::randn({ 2, 4, 7, 8 });       // (B, nh, T, hd)
        const torch::Tensor k = torch::randn({ 2, kvHeads, 7, 8 }); // (B, nkv, T, hd)
        const torch::Tensor v = torch::randn({ 2, kvHeads, 7, 8 }); // (B, nkv, T, hd)
        if (!engine::torchcompat::kHasSdpa) {
            QVERIFY_THROWS_EXCEPTION(engine::Error, engine::torchcompat::sdpaCausal(q, k, v));
            QSKIP("LibTorch before 2.0 has no scaled_dot_product_attention (the error above is what it says)");
        }
        const torch::Tensor fused = engine::torchcompat::sdpaCausal(q, k, v); // (B, nh, T, hd)
        const torch::Tensor reference = engine::causalAttention(q, k, v, 0); // (B, nh, T, hd)
        QVERIFY2(test::relativeError(fused, reference) < 1e-5,
            qPrintable(QString::number(test::relativeError(fused, reference))));
    }

    void cudaFactsFollowTheBuild()
    {
        namespace tc = engine::torchcompat;
        QCOMPARE(tc::builtWithCuda(), bool(LF_TORCH_CUDA));
        if (tc::builtWithCuda() && torch::cuda::is_available()) {
            tc::resetCudaPeakMemory(0);
            const torch::Tensor block = torch::empty({ 16 * 1024 * 1024 }, torch::TensorOptions().device("cuda:0")); // 64 MiB
            QVERIFY(tc::cudaPeakAllocatedBytes(0).value_or(0) >= static_cast<std::int64_t>(block.nbytes()));
            QVERIFY(tc::cudaComputeCapability(0).value_or(0) >= 30);
            return;
        }
        QVERIFY(!tc::cudaPeakAllocatedBytes(0).has_value());
        QVERIFY(!tc::cudaPeakReservedBytes(0).has_value());
        QVERIFY(!tc::cudaComputeCapability(0).has_value());
        tc::resetCudaPeakMemory(0); // harmless without CUDA
        tc::emptyCudaCache();
    }
};

QTEST_APPLESS_MAIN(TestTorchCompat)
#include "test_torchcompat.moc"

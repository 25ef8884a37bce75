// GGUF LoRA adapters: the file parsed by the independent reader
// @huggingface/gguf (npm, pinned) shows llama.cpp's keys, types, tensor names
// and shapes; the values are A and s·r/alpha·B with the q/k rows permuted as
// llama.cpp's converter does (checked with the index formula, not the
// exporter's reshape); applied as llama.cpp applies it, the adapter gives the
// checkpoint's loss; a PiSSA adapter becomes a plain LoRA of rank 2r on the
// original base; q8_0 follows ggml's reference quantiser.
#include "engine/core/atomicfile.h"
#include "engine/export/adapterverifier.h"
#include "engine/export/exportjob.h"
#include "engine/export/ggufreader.h"
#include "engine/lora/peftadapter.h"
#include "engine/model/causallm.h"
#include "exporttesthelpers.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

// QCOMPARE cannot take nlohmann::json (its implicit conversions confuse Qt's overloads).
#define JSON_COMPARE(actual, expected)                                                                            \
    QVERIFY2((actual) == (expected), qPrintable(QString::fromStdString((actual).dump() + " != " + (expected).dump())))

namespace {

constexpr int kString = 8, kFloat32 = 6; // GGUFValueType
constexpr int kGgmlF32 = 0, kGgmlF16 = 1, kGgmlQ8_0 = 8;

// What @huggingface/gguf reads, or a skip reason.
nlohmann::json readWithNpm(const QString &file, QString &skip)
{
    const QString fixtures = QStringLiteral(LF_NPM_FIXTURES);
    if (QFile::exists(fixtures + "/SKIPPED")) {
        QFile reason(fixtures + "/SKIPPED");
        skip = reason.open(QIODevice::ReadOnly) ? QString::fromUtf8(reason.readAll()).trimmed() : reason.fileName();
        return {};
    }
    QProcess node;
    node.start("node", {QStringLiteral(LF_SOURCE_DIR) + "/tests/fixtures/read_gguf.mjs", fixtures + "/npm/node_modules", file});
    if (!node.waitForFinished(60000) || node.exitCode() != 0)
        throw std::runtime_error("read_gguf.mjs failed: " + node.readAllStandardError().toStdString());
    return nlohmann::json::parse(node.readAllStandardOutput().toStdString());
}

const engine::GgufTensorInfo &tensor(const engine::GgufFile &file, const std::string &name)
{
    for (const auto &t : file.tensors)
        if (t.name == name)
            return t;
    throw std::runtime_error("no tensor " + name);
}

torch::Tensor values(const engine::GgufTensorInfo &t)
{
    return torch::tensor(engine::ggufTensorValues(t)).reshape(t.shape);
}

QString exportGguf(const QTemporaryDir &dir, const QString &checkpoint, engine::TensorDtype dtype)
{
    engine::ExportRequest r;
    r.checkpointFolder = checkpoint.toStdString();
    r.outDir = dir.filePath("gguf").toStdString();
    r.formats = {"gguf"};
    r.dtype = dtype;
    const auto summary = engine::runExport(r);
    if (!summary)
        throw std::runtime_error(summary.message());
    return QString::fromStdString(summary->files.front().path);
}

} // namespace

class TestGguf : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void llamaAdapterAsLlamaCppReadsIt()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "llama");
        const std::string lora = R"({"rank": 4, "alpha": 8, "rslora": true,
            "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "down_proj"], "rank_pattern": {"down_proj": 2}})";
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, lora);
        const QString file = exportGguf(dir, checkpoint, engine::TensorDtype::F32);
        QVERIFY(file.endsWith("base-F32-LoRA.gguf"));

        QString skip;
        const nlohmann::json npm = readWithNpm(file, skip);
        if (!skip.isEmpty())
            QSKIP(qPrintable("npm reader unavailable: " + skip));
        const auto &meta = npm["metadata"];
        JSON_COMPARE(meta["general.architecture"]["value"], nlohmann::json("llama"));
        JSON_COMPARE(meta["general.architecture"]["type"], nlohmann::json(kString));
        JSON_COMPARE(meta["general.type"]["value"], nlohmann::json("adapter"));
        JSON_COMPARE(meta["adapter.type"]["value"], nlohmann::json("lora"));
        JSON_COMPARE(meta["adapter.lora.alpha"]["type"], nlohmann::json(kFloat32));
        JSON_COMPARE(meta["adapter.lora.alpha"]["value"], nlohmann::json(8.0));
        QCOMPARE(npm["tensors"].size(), std::size_t(2 * 5 * 2)); // 5 modules × 2 layers × (a, b)
        std::map<std::string, nlohmann::json> byName;
        for (const auto &t : npm["tensors"])
            byName[t["name"].get<std::string>()] = t;
        // ggml order (ne): lora_a [in, r], lora_b [r, out].
        JSON_COMPARE(byName["blk.0.attn_q.weight.lora_a"]["shape"], nlohmann::json({32, 4}));
        JSON_COMPARE(byName["blk.0.attn_q.weight.lora_b"]["shape"], nlohmann::json({4, 32}));
        JSON_COMPARE(byName["blk.1.attn_k.weight.lora_b"]["shape"], nlohmann::json({4, 16}));
        JSON_COMPARE(byName["blk.1.ffn_down.weight.lora_a"]["shape"], nlohmann::json({48, 2}));
        JSON_COMPARE(byName["blk.1.attn_output.weight.lora_b"]["dtype"], nlohmann::json(kGgmlF32));

        // Values: A as is; B folded (rsLoRA: s·r/alpha = √r) and, for q/k, rows permuted per head.
        const engine::GgufFile gguf = engine::readGgufFile(file.toStdString());
        engine::CausalLm model = engine::loadCausalLm(base.toStdString());
        engine::LoraModel adapters = engine::loadPeftAdapter(checkpoint.toStdString(), model);
        for (const auto &m : adapters.matrices()) {
            const std::string prefix = "blk." + std::to_string(m.layer) + ".";
            const std::string name = m.kind == "q_proj" ? "attn_q" : m.kind == "k_proj" ? "attn_k"
                : m.kind == "v_proj" ? "attn_v" : m.kind == "o_proj" ? "attn_output" : "ffn_down";
            QVERIFY(torch::equal(values(tensor(gguf, prefix + name + ".weight.lora_a")), m.lora->A));
            const torch::Tensor b = values(tensor(gguf, prefix + name + ".weight.lora_b"));
            const torch::Tensor folded = m.lora->B * std::sqrt(static_cast<double>(m.lora->rank()));
            const std::int64_t heads = m.kind == "q_proj" ? 4 : m.kind == "k_proj" ? 2 : 0;
            const std::int64_t hd = 8;
            for (std::int64_t row = 0; row < b.size(0); ++row) {
                std::int64_t source = row;
                if (heads) { // GGUF row h·hd + 2i + s holds HF row h·hd + s·hd/2 + i
                    const std::int64_t h = row / hd, i = (row % hd) / 2, s = row % 2;
                    source = h * hd + s * (hd / 2) + i;
                }
                QVERIFY2(exporttest::relativeError(b[row], folded[source]) < 1e-6, (m.name + " row").c_str());
            }
        }

        // Applied the way llama.cpp applies it (alpha/rank per pair), the loss is the checkpoint's.
        const auto batches = exporttest::batches(61);
        const auto expected = engine::adapterLoss(base.toStdString(), checkpoint.toStdString(), batches);
        const auto viaGguf = engine::ggufAdapterLoss(base.toStdString(), file.toStdString(), batches);
        QVERIFY2(viaGguf.isOk(), viaGguf.message().c_str());
        QVERIFY2(engine::lossesAgree(viaGguf->meanLoss, expected->meanLoss, 1e-5),
                 qPrintable(QString("%1 vs %2").arg(viaGguf->meanLoss).arg(expected->meanLoss)));
    }

    void gpt2AndQ8_0()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "gpt2");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 32, "target_mode": "all-linear"})");
        const QString file = exportGguf(dir, checkpoint, engine::TensorDtype::Q8_0);
        QString skip;
        const nlohmann::json npm = readWithNpm(file, skip);
        if (!skip.isEmpty())
            QSKIP(qPrintable("npm reader unavailable: " + skip));
        JSON_COMPARE(npm["metadata"]["general.architecture"]["value"], nlohmann::json("gpt2"));
        std::map<std::string, nlohmann::json> byName;
        for (const auto &t : npm["tensors"])
            byName[t["name"].get<std::string>()] = t;
        QCOMPARE(byName.size(), std::size_t(2 * 4 * 2)); // c_attn, attn.c_proj, c_fc, mlp.c_proj × 2 layers
        // Conv1D c_attn (in 32, out 96): the pair is written like a Linear's, matching attn_qkv's ne [32, 96].
        JSON_COMPARE(byName["blk.0.attn_qkv.weight.lora_a"]["shape"], nlohmann::json({32, 32}));
        JSON_COMPARE(byName["blk.0.attn_qkv.weight.lora_b"]["shape"], nlohmann::json({32, 96}));
        JSON_COMPARE(byName["blk.0.ffn_down.weight.lora_a"]["shape"], nlohmann::json({128, 32}));
        JSON_COMPARE(byName["blk.1.ffn_up.weight.lora_b"]["dtype"], nlohmann::json(kGgmlQ8_0));
        JSON_COMPARE(byName["blk.1.attn_output.weight.lora_a"]["dtype"], nlohmann::json(kGgmlQ8_0));

        // ggml's reference q8_0: per 32 values d = max|x|/127, q = round(x/d); the error is d/2 plus the
        // f16 rounding of d (at most 127·d·2⁻¹¹ ≈ 0.06·d).
        const engine::GgufFile gguf = engine::readGgufFile(file.toStdString());
        engine::CausalLm model = engine::loadCausalLm(base.toStdString());
        engine::LoraModel adapters = engine::loadPeftAdapter(checkpoint.toStdString(), model);
        const torch::Tensor a = adapters.matrices().front().lora->A;                 // (R, I)
        const torch::Tensor q = values(tensor(gguf, "blk.0.attn_qkv.weight.lora_a")); // (R, I)
        const torch::Tensor blocks = a.reshape({-1, 32});
        const torch::Tensor bound = blocks.abs().amax(1, true) / 127.0 * 0.57 + 1e-7;
        QVERIFY(((q.reshape({-1, 32}) - blocks).abs() <= bound).all().item<bool>());
        QVERIFY(((q.reshape({-1, 32}) - blocks).abs() > 0).any().item<bool>()); // really quantised

        const auto batches = exporttest::batches(53);
        const auto expected = engine::adapterLoss(base.toStdString(), checkpoint.toStdString(), batches);
        const auto viaGguf = engine::ggufAdapterLoss(base.toStdString(), file.toStdString(), batches);
        QVERIFY2(viaGguf.isOk(), viaGguf.message().c_str());
        QVERIFY2(engine::lossesAgree(viaGguf->meanLoss, expected->meanLoss, 1e-2), // q8_0: ~0.4% per value
                 qPrintable(QString("%1 vs %2").arg(viaGguf->meanLoss).arg(expected->meanLoss)));
    }

    void pissaAsPlainLoraOfTwiceTheRank()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "gpt2");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4, "init": "pissa", "alpha": 8})");
        const QString file = exportGguf(dir, checkpoint, engine::TensorDtype::F32);
        const engine::GgufFile gguf = engine::readGgufFile(file.toStdString());
        QCOMPARE(tensor(gguf, "blk.0.attn_qkv.weight.lora_a").shape, (std::vector<std::int64_t>{8, 32})); // [A; A0]
        QCOMPARE(tensor(gguf, "blk.0.attn_qkv.weight.lora_b").shape, (std::vector<std::int64_t>{96, 8})); // [B, −B0]
        // On the original base (as a llama.cpp user has it), the adapter gives the checkpoint's model.
        const auto batches = exporttest::batches(53);
        const auto expected = engine::adapterLoss(base.toStdString(), checkpoint.toStdString(), batches);
        const auto viaGguf = engine::ggufAdapterLoss(base.toStdString(), file.toStdString(), batches);
        QVERIFY2(viaGguf.isOk(), viaGguf.message().c_str());
        QVERIFY2(engine::lossesAgree(viaGguf->meanLoss, expected->meanLoss, 1e-5),
                 qPrintable(QString("%1 vs %2").arg(viaGguf->meanLoss).arg(expected->meanLoss)));
    }

    void smallRankQ8_0FallsBackToF16()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "qwen2");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4})");
        const engine::GgufFile gguf = engine::readGgufFile(exportGguf(dir, checkpoint, engine::TensorDtype::Q8_0).toStdString());
        QCOMPARE(gguf.metadata.at("general.architecture").text, std::string("qwen2"));
        QCOMPARE(tensor(gguf, "blk.0.attn_q.weight.lora_a").type, std::uint32_t(kGgmlQ8_0)); // rows of 32
        QCOMPARE(tensor(gguf, "blk.0.attn_q.weight.lora_b").type, std::uint32_t(kGgmlF16));  // rows of 4
    }

    void readerRejectsDamage()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("bad.gguf").toStdString();
        engine::GgufWriter writer;
        writer.addString("general.architecture", "llama");
        writer.addTensor("t", {2, 32}, engine::GgufType::F32, std::string(2 * 32 * 4, '\0'));
        writer.write(path);
        QVERIFY(engine::readGgufFile(path).tensors.size() == 1);
        std::string bytes = engine::readFile(path);
        bytes.resize(bytes.size() - 10);
        engine::writeFileAtomically(path, bytes);
        try {
            engine::readGgufFile(path);
            QFAIL("expected an error");
        } catch (const engine::Error &e) {
            QVERIFY2(QString(e.what()).contains("runs past the end"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(engine::Error, writer.addString("general.architecture", "x"));
        QVERIFY_THROWS_EXCEPTION(engine::Error, writer.addTensor("q", {3, 10}, engine::GgufType::Q8_0, std::string(34, '\0')));
    }
};

QTEST_GUILESS_MAIN(TestGguf)
#include "test_gguf.moc"

// The GGUF v3 writer against the independent reader @huggingface/gguf (npm,
// pinned in tests/fixtures): keys with their value types, tensor names, ggml
// dims (reversed), types and aligned offsets; and the engine's own reader on
// the same bytes (values back, damage refused). Torch-free, so it builds fast.
#include "engine/core/atomicfile.h"
#include "engine/core/status.h"
#include "engine/export/ggufreader.h"
#include "engine/export/ggufwriter.h"

#include <nlohmann/json.hpp>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

// QCOMPARE cannot take nlohmann::json (its implicit conversions confuse Qt's overloads).
#define JSON_COMPARE(actual, expected)                                                                            \
    QVERIFY2((actual) == (expected), qPrintable(QString::fromStdString((actual).dump() + " != " + (expected).dump())))

namespace {

std::string floats(int count, float scale)
{
    std::string bytes(static_cast<std::size_t>(count) * 4, '\0');
    for (int i = 0; i < count; ++i) {
        const float v = scale * static_cast<float>(i - count / 2);
        std::memcpy(&bytes[static_cast<std::size_t>(i) * 4], &v, 4);
    }
    return bytes;
}

// Writes an adapter-shaped file: f32 lora_a [4, 32], f16 lora_b [48, 4] (2.0 everywhere), q8_0 [2, 64].
void writeSample(const std::string &path)
{
    engine::GgufWriter writer;
    writer.addString("general.architecture", "llama");
    writer.addString("general.type", "adapter");
    writer.addString("adapter.type", "lora");
    writer.addFloat32("adapter.lora.alpha", 16.0f);
    writer.addUint32("general.file_type", 1);
    writer.addTensor("blk.0.attn_q.weight.lora_a", {4, 32}, engine::GgufType::F32, floats(4 * 32, 0.01f));
    std::string half(48 * 4 * 2, '\0');
    for (std::size_t i = 0; i < half.size(); i += 2)
        half[i + 1] = 0x40; // f16 0x4000 = 2.0
    writer.addTensor("blk.0.attn_q.weight.lora_b", {48, 4}, engine::GgufType::F16, half);
    std::string q8(4 * 34, '\0');
    for (int b = 0; b < 4; ++b) {
        q8[static_cast<std::size_t>(b) * 34 + 1] = 0x3c; // d = f16 0x3c00 = 1.0
        q8[static_cast<std::size_t>(b) * 34 + 2] = static_cast<char>(-3); // first value -3
    }
    writer.addTensor("blk.1.ffn_up.weight.lora_a", {2, 64}, engine::GgufType::Q8_0, q8);
    writer.write(path);
    QCOMPARE(static_cast<qint64>(writer.fileBytes()), QFile(QString::fromStdString(path)).size());
}

} // namespace

class TestGgufWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void independentReaderSeesKeysTypesAndShapes()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath("a.gguf");
        writeSample(file.toStdString());
        const QString fixtures = QStringLiteral(LF_NPM_FIXTURES);
        if (QFile::exists(fixtures + "/SKIPPED"))
            QSKIP("npm fixtures unavailable (see tests/fixtures/tokenizer/SKIPPED in the build tree)");
        QProcess node;
        node.start("node", {QStringLiteral(LF_SOURCE_DIR) + "/tests/fixtures/read_gguf.mjs", fixtures + "/npm/node_modules", file});
        QVERIFY(node.waitForFinished(60000));
        QVERIFY2(node.exitCode() == 0, node.readAllStandardError().constData());
        const auto parsed = nlohmann::json::parse(node.readAllStandardOutput().toStdString());
        const auto &meta = parsed["metadata"];
        JSON_COMPARE(meta["general.architecture"], nlohmann::json({{"type", 8}, {"value", "llama"}}));
        JSON_COMPARE(meta["general.type"]["value"], nlohmann::json("adapter"));
        JSON_COMPARE(meta["adapter.type"]["value"], nlohmann::json("lora"));
        JSON_COMPARE(meta["adapter.lora.alpha"], nlohmann::json({{"type", 6}, {"value", 16}}));
        JSON_COMPARE(meta["general.file_type"], nlohmann::json({{"type", 4}, {"value", 1}}));
        JSON_COMPARE(meta["tensor_count"]["value"], nlohmann::json(3));
        const auto &t = parsed["tensors"];
        // ggml dims are the reverse of the PyTorch shape; offsets are dense and 32-aligned.
        JSON_COMPARE(t[0], nlohmann::json({{"name", "blk.0.attn_q.weight.lora_a"}, {"shape", {32, 4}}, {"dtype", 0}, {"offset", 0}}));
        JSON_COMPARE(t[1], nlohmann::json({{"name", "blk.0.attn_q.weight.lora_b"}, {"shape", {4, 48}}, {"dtype", 1}, {"offset", 512}}));
        JSON_COMPARE(t[2], nlohmann::json({{"name", "blk.1.ffn_up.weight.lora_a"}, {"shape", {64, 2}}, {"dtype", 8}, {"offset", 896}}));
        QCOMPARE(parsed["tensorDataOffset"].get<int>() % 32, 0);
    }

    void ownReaderGetsTheValuesBack()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("a.gguf").toStdString();
        writeSample(path);
        const engine::GgufFile file = engine::readGgufFile(path);
        QCOMPARE(file.tensors.size(), std::size_t(3));
        QCOMPARE(file.metadata.at("adapter.lora.alpha").number, 16.0);
        QCOMPARE(file.tensors[0].shape, (std::vector<std::int64_t>{4, 32}));
        const std::vector<float> a = engine::ggufTensorValues(file.tensors[0]);
        QCOMPARE(a[5], 0.01f * static_cast<float>(5 - 64));
        QCOMPARE(engine::ggufTensorValues(file.tensors[1])[17], 2.0f);
        const std::vector<float> q = engine::ggufTensorValues(file.tensors[2]);
        QCOMPARE(q.size(), std::size_t(128));
        QCOMPARE(q[0], -3.0f);
        QCOMPARE(q[1], 0.0f);
    }

    void damageAndBadInputAreRefused()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("a.gguf").toStdString();
        writeSample(path);
        std::string bytes = engine::readFile(path);
        bytes.resize(bytes.size() - 40);
        engine::writeFileAtomically(path, bytes);
        try {
            engine::readGgufFile(path);
            QFAIL("expected an error");
        } catch (const engine::Error &e) {
            QVERIFY2(QString(e.what()).contains("runs past the end") && QString(e.what()).contains("a.gguf"), e.what());
        }
        engine::writeFileAtomically(path, "GGUF\x02\0\0\0");
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::readGgufFile(path));
        engine::GgufWriter writer;
        writer.addString("k", "v");
        QVERIFY_THROWS_EXCEPTION(engine::Error, writer.addString("k", "again"));
        QVERIFY_THROWS_EXCEPTION(engine::Error, writer.addTensor("q", {3, 10}, engine::GgufType::Q8_0, std::string(34, '\0')));
        QVERIFY_THROWS_EXCEPTION(engine::Error, writer.addTensor("f", {2, 2}, engine::GgufType::F32, std::string(15, '\0')));
        QVERIFY_THROWS_EXCEPTION(engine::Error, writer.addTensor(std::string(64, 'n'), {1}, engine::GgufType::F32, std::string(4, '\0')));
    }
};

QTEST_GUILESS_MAIN(TestGgufWriter)
#include "test_ggufwriter.moc"

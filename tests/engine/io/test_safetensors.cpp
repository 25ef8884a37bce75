// The safetensors reader, writer and folder loader, without Torch: the exact
// bytes the writer produces, round trips, and every kind of damaged file or
// folder giving a clear error (data-driven rows of hand-built files).
#include "engine/core/atomicfile.h"
#include "engine/io/safetensors.h"
#include "engine/io/safetensorsfolder.h"
#include "engine/io/safetensorswriter.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

namespace {

// A file: 8-byte little-endian length, the header text as given, then `data`.
std::string fileBytes(const std::string &header, const std::string &data, std::uint64_t length = UINT64_MAX)
{
    const std::uint64_t n = length == UINT64_MAX ? header.size() : length;
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return bytes + header + data;
}

std::string openError(const QString &path)
{
    try {
        engine::SafetensorsFile::open(path.toStdString());
    } catch (const engine::Error &e) {
        return e.what();
    }
    return {};
}

std::string folderError(const QString &path)
{
    try {
        engine::SafetensorsFolder::open(path.toStdString());
    } catch (const engine::Error &e) {
        return e.what();
    }
    return {};
}

const float kA[2] = { 1.5f, -2.0f };
const std::int64_t kD[1] = { 42 };
const std::uint16_t kC[3] = { 0x3c00, 0x4000, 0xc000 }; // f16 1, 2, -2

std::vector<engine::TensorData> sampleTensors()
{
    return { { "b", "F32", { 2 }, kA, 8 }, { "a", "F32", { 1, 2 }, kA, 8 }, { "c", "F16", { 3 }, kC, 6 },
        { "d", "I64", { 1 }, kD, 8 } };
}

} // namespace

class TestSafetensors : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writerMatchesTheReferenceLayout()
    {
        const std::string bytes = engine::serializeSafetensors(sampleTensors(), { { "note", "x" } });
        // Alignment descending (I64, F32, F16), then name; compact JSON,
        // __metadata__ first, padded with spaces to a multiple of 8.
        std::string header = R"({"__metadata__":{"format":"pt","note":"x"},)"
                             R"("d":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
                             R"("a":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},)"
                             R"("c":{"dtype":"F16","shape":[3],"data_offsets":[24,30]}})";
        header.append((8 - header.size() % 8) % 8, ' ');
        std::string data(reinterpret_cast<const char *>(kD), 8);
        data.append(reinterpret_cast<const char *>(kA), 8).append(reinterpret_cast<const char *>(kA), 8);
        data.append(reinterpret_cast<const char *>(kC), 6);
        QCOMPARE(bytes, fileBytes(header, data));
        QCOMPARE(header.size() % 8, std::size_t(0));
    }

    void roundTripThroughAFile()
    {
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/t.safetensors").toStdString();
        const float scalar = 3.0f;
        auto tensors = sampleTensors();
        tensors.push_back({ "scalar", "F32", {}, &scalar, 4 });
        tensors.push_back({ "empty", "BF16", { 0, 4 }, nullptr, 0 });
        engine::writeSafetensors(path, tensors, { { "format", "mlx" } });
        const auto file = engine::SafetensorsFile::open(path);
        QCOMPARE(file->tensors().size(), std::size_t(6));
        QCOMPARE(file->metadata().at("format"), std::string("mlx"));
        const engine::TensorInfo *c = file->find("c");
        QVERIFY(c);
        QCOMPARE(c->dtype, std::string("F16"));
        QCOMPARE(c->shape, std::vector<std::int64_t> { 3 });
        QCOMPARE(std::memcmp(file->data(*c), kC, 6), 0);
        QCOMPARE(file->find("scalar")->elementCount(), std::int64_t(1));
        QCOMPARE(file->find("empty")->byteSize(), std::uint64_t(0));
        QVERIFY(!file->find("missing"));
        QVERIFY(!QDir(dir.path()).entryList({ "*.tmp-*" }, QDir::Files).size());
    }

    void writerRejectsBadTensors_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("dtype");
        QTest::addColumn<int>("bytes");
        QTest::newRow("size mismatch") << "a"
                                       << "F32" << 4;
        QTest::newRow("unknown dtype") << "a"
                                       << "F31" << 8;
        QTest::newRow("empty name") << ""
                                    << "F32" << 8;
        QTest::newRow("duplicate name") << "b"
                                        << "F32" << 8;
    }

    void writerRejectsBadTensors()
    {
        QFETCH(QString, name);
        QFETCH(QString, dtype);
        QFETCH(int, bytes);
        QTemporaryDir dir;
        std::vector<engine::TensorData> tensors { { "b", "F32", { 2 }, kA, 8 },
            { name.toStdString(), dtype.toStdString(), { 2 }, kA, std::size_t(bytes) } };
        const std::string path = (dir.path() + "/t.safetensors").toStdString();
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::writeSafetensors(path, tensors));
        QVERIFY(QDir(dir.path()).isEmpty()); // no half-written file
    }

    void damagedFilesGiveClearErrors_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("fragment");
        auto row = [](const char *name, const std::string &bytes, const char *fragment) {
            QTest::newRow(name) << QByteArray(bytes.data(), int(bytes.size())) << QString::fromUtf8(fragment);
        };
        const std::string eight(8, '\0');
        row("empty file", "", "fewer than the 8-byte");
        row("truncated length", std::string(5, '\0'), "fewer than the 8-byte");
        row("header beyond the file", fileBytes("{}", "", 1000), "beyond the end");
        row("header too large", fileBytes("{}", "", 200'000'000), "exceeds the limit");
        row("not an object", fileBytes("[1, 2]  ", ""), "does not start with '{'");
        row("invalid JSON", fileBytes("{\"a\": {\"dtype\": ", ""), "not valid JSON");
        row("invalid UTF-8", fileBytes("{\"\xff\xfe\": 1}", ""), "not valid JSON");
        row("overlapping offsets",
            fileBytes(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                std::string(12, '\0')),
            "overlaps");
        row("gapped offsets",
            fileBytes(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})",
                std::string(20, '\0')),
            "gap");
        row("first tensor not at zero",
            fileBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", std::string(12, '\0')),
            "tensor 'a' starts at data offset 4");
        row("unknown dtype", fileBytes(R"({"a":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})", eight),
            "unknown dtype 'F17'");
        row("size disagrees with shape", fileBytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight),
            "needs 12");
        row("end before begin", fileBytes(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}})", eight),
            "end before they begin");
        row("negative dimension", fileBytes(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight),
            "non-negative integer");
        row("fractional offset", fileBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}})", eight),
            "non-negative integer");
        row("missing shape", fileBytes(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", eight), "no shape");
        row("truncated data", fileBytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", eight),
            "truncated");
        row("trailing bytes", fileBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight + "xx"),
            "2 trailing bytes");
        row("duplicate tensor key",
            fileBytes(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                std::string(16, '\0')),
            "key 'a' twice");
        row("duplicate field",
            fileBytes(R"({"a":{"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}})", eight),
            "key 'dtype' twice");
        row("non-string metadata", fileBytes(R"({"__metadata__":{"format":"pt","step":3}})", ""),
            "__metadata__ value 'step' must be a string");
        row("size overflow",
            fileBytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", eight),
            "overflows");
    }

    void damagedFilesGiveClearErrors()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, fragment);
        QTemporaryDir dir;
        const QString path = dir.path() + "/damaged.safetensors";
        engine::writeFileAtomically(path.toStdString(), std::string(bytes.constData(), std::size_t(bytes.size())));
        const QString message = QString::fromStdString(openError(path));
        QVERIFY2(message.contains(fragment), qPrintable("'" + message + "' lacks '" + fragment + "'"));
        QVERIFY2(message.contains(path), qPrintable(message));
        QVERIFY2(message.contains("hint:"), qPrintable(message));
    }

    void missingFileIsAnError()
    {
        QTemporaryDir dir;
        QVERIFY(QString::fromStdString(openError(dir.path() + "/nothing.safetensors")).contains("cannot read"));
    }

    void shardedFolderRoundTrip()
    {
        QTemporaryDir dir;
        std::vector<float> big(40, 0.25f);
        std::vector<engine::TensorData> tensors { { "w1", "F32", { 40 }, big.data(), 160 },
            { "w2", "F32", { 40 }, big.data(), 160 }, { "w3", "F32", { 2 }, kA, 8 }, { "w4", "F16", { 3 }, kC, 6 } };
        const auto files = engine::writeShardedSafetensors(dir.path().toStdString(), tensors, 100);
        QCOMPARE(files,
            (std::vector<std::string> { "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json" }));
        const std::string index = engine::readFile((dir.path() + "/model.safetensors.index.json").toStdString());
        QVERIFY(index.find("\"total_size\": 334") != std::string::npos);
        QVERIFY(index.find("\"w4\": \"model-00003-of-00003.safetensors\"") != std::string::npos);
        const auto folder = engine::SafetensorsFolder::open(dir.path().toStdString());
        QVERIFY(folder.isSharded());
        QCOMPARE(folder.files().size(), std::size_t(3));
        QCOMPARE(folder.tensorNames(), (std::vector<std::string> { "w1", "w2", "w3", "w4" }));
        QCOMPARE(folder.totalBytes(), std::uint64_t(334));
        const auto w3 = folder.find("w3");
        QCOMPARE(std::memcmp(w3.file->data(*w3.info), kA, 8), 0);
    }

    void singleShardIsPlainModelFile()
    {
        QTemporaryDir dir;
        const auto files = engine::writeShardedSafetensors(dir.path().toStdString(), sampleTensors(), 1 << 20);
        QCOMPARE(files, std::vector<std::string> { "model.safetensors" });
        const auto folder = engine::SafetensorsFolder::open(dir.path().toStdString());
        QVERIFY(!folder.isSharded());
        QVERIFY(folder.contains("c"));
    }

    void badFoldersGiveClearErrors_data()
    {
        QTest::addColumn<QString>("setup");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("pickle only") << "pickle"
                                     << "safetensors only";
        QTest::newRow("pickle index only") << "pickleindex"
                                           << "never opens pickles";
        QTest::newRow("no weights") << "empty"
                                    << "has neither model.safetensors";
        QTest::newRow("not a folder") << "nofolder"
                                      << "not a folder";
        QTest::newRow("shard missing") << "missingshard"
                                       << "'model-00002-of-00002.safetensors', which is missing";
        QTest::newRow("tensor not in shard") << "wrongshard"
                                             << "does not contain it";
        QTest::newRow("shard outside the folder") << "traversal"
                                                  << "not a plain file name";
        QTest::newRow("index is not JSON") << "badindex"
                                           << "is not valid JSON";
        QTest::newRow("index without weight_map") << "nomap"
                                                  << "no \"weight_map\"";
    }

    void badFoldersGiveClearErrors()
    {
        QFETCH(QString, setup);
        QFETCH(QString, fragment);
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        QString folder = dir.path();
        auto write = [&](const std::string &name, const std::string &text) {
            engine::writeFileAtomically(root + "/" + name, text);
        };
        const std::string shard = "model-00001-of-00002.safetensors";
        if (setup == "pickle")
            write("pytorch_model.bin", "not a pickle really");
        else if (setup == "pickleindex")
            write("pytorch_model.bin.index.json", "{}");
        else if (setup == "nofolder")
            folder += "/absent";
        if (setup == "missingshard" || setup == "wrongshard" || setup == "traversal") {
            engine::writeSafetensors(root + "/" + shard, { { "w1", "F32", { 2 }, kA, 8 } });
            const std::string other = setup == "missingshard" ? "model-00002-of-00002.safetensors"
                : setup == "wrongshard"                       ? shard
                                                              : "../model.safetensors";
            write("model.safetensors.index.json",
                "{\"metadata\":{\"total_size\":16},\"weight_map\":{\"w1\":\"" + shard + "\",\"w2\":\"" + other
                    + "\"}}");
        }
        if (setup == "badindex")
            write("model.safetensors.index.json", "{\"weight_map\": ");
        if (setup == "nomap")
            write("model.safetensors.index.json", "{\"metadata\": {}}");
        const QString message = QString::fromStdString(folderError(folder));
        QVERIFY2(message.contains(fragment), qPrintable("'" + message + "' lacks '" + fragment + "'"));
        QVERIFY2(message.contains("hint:"), qPrintable(message));
    }

    void dtypeTable()
    {
        QCOMPARE(engine::safetensorsDtypeBits("BF16"), 16);
        QCOMPARE(engine::safetensorsDtypeBits("F4"), 4);
        QCOMPARE(engine::safetensorsDtypeBits("f32"), 0); // case-sensitive
        QCOMPARE(engine::safetensorsDtypes().front(), std::string("BOOL"));
        QCOMPARE(engine::safetensorsDtypes().size(), std::size_t(22));
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"

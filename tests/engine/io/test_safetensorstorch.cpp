// The Torch bridge of the safetensors reader: zero-copy tensors on aligned F32
// data that keep the mapping alive, copies for unaligned data, F16/BF16 to f32
// conversion, integer dtypes, copy-on-write (the file never changes), and the
// writer's torch entry point.
#include "engine/core/atomicfile.h"
#include "engine/io/safetensorstorch.h"
#include "engine/io/safetensorswriter.h"

#include <QTemporaryDir>
#include <QTest>

#include <cstring>

class TestSafetensorsTorch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void alignedF32IsZeroCopyAndOutlivesTheFile()
    {
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/t.safetensors").toStdString();
        const torch::Tensor original = torch::arange(12, torch::kFloat32).view({ 3, 4 });
        engine::saveSafetensors(path, { { "w", original } });
        torch::Tensor loaded;
        const std::uint8_t *mapped = nullptr;
        {
            const auto file = engine::SafetensorsFile::open(path);
            loaded = engine::floatTensorFromFile(file, *file->find("w"));
            mapped = file->data(*file->find("w"));
        } // the tensor keeps the mapping alive
        QCOMPARE(static_cast<const void *>(loaded.data_ptr()), static_cast<const void *>(mapped));
        QVERIFY(torch::equal(loaded, original));
        loaded.mul_(2); // copy-on-write: the file is untouched
        QVERIFY(torch::equal(engine::loadSafetensors(path).at("w"), original));
    }

    void unalignedDataIsCopied()
    {
        // A hand-made file whose 7-byte header puts the F32 data at offset 15.
        const std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        std::string bytes(8, '\0');
        bytes[0] = static_cast<char>(header.size());
        const float values[2] = { 0.5f, -4.0f };
        bytes += header + std::string(reinterpret_cast<const char *>(values), 8);
        QVERIFY((8 + header.size()) % 4 != 0);
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/u.safetensors").toStdString();
        engine::writeFileAtomically(path, bytes);
        const auto file = engine::SafetensorsFile::open(path);
        const torch::Tensor loaded = engine::floatTensorFromFile(file, *file->find("w"));
        QVERIFY(
            static_cast<const void *>(loaded.data_ptr()) != static_cast<const void *>(file->data(*file->find("w"))));
        QVERIFY(torch::equal(loaded, torch::tensor({ 0.5f, -4.0f })));
    }

    void halfPrecisionConvertsToFloat_data()
    {
        QTest::addColumn<int>("dtype");
        QTest::newRow("F16") << int(torch::kHalf);
        QTest::newRow("BF16") << int(torch::kBFloat16);
        QTest::newRow("F64") << int(torch::kFloat64);
        QTest::newRow("I32") << int(torch::kInt32);
    }

    void halfPrecisionConvertsToFloat()
    {
        QFETCH(int, dtype);
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/h.safetensors").toStdString();
        const torch::Tensor values
            = torch::tensor({ 1.0f, -2.0f, 3.0f, 1024.0f }).to(static_cast<torch::ScalarType>(dtype));
        engine::saveSafetensors(path, { { "h", values } });
        const auto file = engine::SafetensorsFile::open(path);
        const torch::Tensor stored = engine::tensorFromFile(file, *file->find("h"));
        QCOMPARE(stored.scalar_type(), values.scalar_type());
        const torch::Tensor asFloat = engine::floatTensorFromFile(file, *file->find("h"));
        QCOMPARE(asFloat.scalar_type(), torch::kFloat32);
        QVERIFY(torch::equal(asFloat, torch::tensor({ 1.0f, -2.0f, 3.0f, 1024.0f })));
    }

    void integerTypesRoundTrip()
    {
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/i.safetensors").toStdString();
        const std::vector<std::pair<std::string, torch::Tensor>> tensors {
            { "u8", torch::tensor({ 1, 255 }).to(torch::kUInt8) }, { "i8", torch::tensor({ -3, 7 }).to(torch::kInt8) },
            { "i16", torch::tensor({ -300, 7 }).to(torch::kInt16) }, { "i64", torch::tensor({ int64_t(1) << 40 }) },
            { "bool", torch::tensor({ true, false }) }
        };
        engine::saveSafetensors(path, tensors);
        const auto loaded = engine::loadSafetensors(path);
        for (const auto &[name, tensor] : tensors) {
            QCOMPARE(loaded.at(name).scalar_type(), tensor.scalar_type());
            QVERIFY2(torch::equal(loaded.at(name), tensor), name.c_str());
        }
        QCOMPARE(engine::safetensorsDtypeOf(torch::kBFloat16), std::string("BF16"));
    }

    void dtypesLibTorchLacksAreErrors()
    {
        const std::uint16_t raw[2] = { 1, 2 };
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/u16.safetensors").toStdString();
        engine::writeSafetensors(path, { { "u", "U16", { 2 }, raw, 4 } });
        const auto file = engine::SafetensorsFile::open(path);
        try {
            engine::tensorFromFile(file, *file->find("u"));
            QFAIL("U16 should not load");
        } catch (const engine::Error &e) {
            QVERIFY(QString::fromUtf8(e.what()).contains("U16"));
            QVERIFY(QString::fromUtf8(e.what()).contains("hint:"));
        }
    }
};

QTEST_GUILESS_MAIN(TestSafetensorsTorch)
#include "test_safetensorstorch.moc"

#include "tests/engine/train/trainfixture.h"

#include "tests/engine/model/tinymodel.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <limits>

namespace trainfixture {

namespace {

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        throw std::runtime_error("cannot write " + path.toStdString());
}

// GPT-2's reversible byte → printable character map: printable Latin-1 bytes
// stand for themselves, the others for U+0100 upwards in byte order.
QString byteSymbol(int byte)
{
    const bool printable = (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE);
    if (printable)
        return QString(QChar(byte));
    int shifted = 0;
    for (int b = 0; b < byte; ++b) {
        const bool p = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        if (!p)
            ++shifted;
    }
    return QString(QChar(256 + shifted));
}

QByteArray tokenizerJson()
{
    QJsonObject vocab;
    for (int byte = 0; byte < 256; ++byte)
        vocab.insert(byteSymbol(byte), byte);
    const QJsonObject byteLevel{ { "type", "ByteLevel" }, { "add_prefix_space", false }, { "trim_offsets", true },
        { "use_regex", true } };
    const QJsonObject eos{ { "id", 256 }, { "content", "<|endoftext|>" }, { "single_word", false },
        { "lstrip", false }, { "rstrip", false }, { "normalized", false }, { "special", true } };
    const QJsonObject model{ { "type", "BPE" }, { "dropout", QJsonValue() }, { "unk_token", QJsonValue() },
        { "continuing_subword_prefix", "" }, { "end_of_word_suffix", "" }, { "fuse_unk", false },
        { "byte_fallback", false }, { "vocab", vocab }, { "merges", QJsonArray() } };
    const QJsonObject root{ { "version", "1.0" }, { "truncation", QJsonValue() }, { "padding", QJsonValue() },
        { "added_tokens", QJsonArray{ eos } }, { "normalizer", QJsonValue() }, { "pre_tokenizer", byteLevel },
        { "post_processor", QJsonValue() }, { "decoder", byteLevel }, { "model", model } };
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

QByteArray dataset(int records)
{
    static const char *const kNames[] = { "Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal" };
    QByteArray lines;
    for (int i = 0; i < records; ++i) {
        const int a = i % 8, b = (i * 3 + 1) % 8;
        const QJsonObject record{ { "prompt", QStringLiteral("Who greets %1?").arg(kNames[a]) },
            { "completion", QStringLiteral(" %1 greets %2.").arg(kNames[b], kNames[a]) } };
        lines += QJsonDocument(record).toJson(QJsonDocument::Compact) + '\n';
    }
    return lines;
}

} // namespace

void write(const QString &dir, const std::string &modelType, int records, int nanByte)
{
    const QString model = QDir(dir).filePath(QStringLiteral("model"));
    QDir().mkpath(model);
    const std::string extra = modelType == "gpt2"
        ? "{\"vocab_size\": " + std::to_string(kVocab) + ", \"n_positions\": 128, \"eos_token_id\": 256}"
        : "{\"vocab_size\": " + std::to_string(kVocab) + ", \"max_position_embeddings\": 128, \"eos_token_id\": 256}";
    const std::string config = tiny::configJson(modelType, extra);
    tiny::NamedTensors weights = tiny::randomWeights(config, 5);
    if (nanByte >= 0)
        for (auto &[name, tensor] : weights)
            if (name.find("embed_tokens") != std::string::npos || name.find("wte") != std::string::npos)
                tensor[nanByte].fill_(std::numeric_limits<float>::quiet_NaN());
    tiny::writeModel(model, config, weights);
    writeFile(QDir(model).filePath(QStringLiteral("tokenizer.json")), tokenizerJson());
    writeFile(QDir(model).filePath(QStringLiteral("tokenizer_config.json")),
        R"({"eos_token": "<|endoftext|>", "bos_token": null, "pad_token": null})");
    writeFile(QDir(dir).filePath(QStringLiteral("train.jsonl")), dataset(records));
}

engine::RunSettings settings(const QString &dir, std::int64_t steps, double validationFraction)
{
    engine::RunSettings s;
    s.modelPath = QDir(dir).filePath(QStringLiteral("model")).toStdString();
    s.dataset.trainPath = QDir(dir).filePath(QStringLiteral("train.jsonl")).toStdString();
    s.dataset.validationFraction = validationFraction;
    s.dataset.maxLength = 48;
    s.lora.rank = 4;
    s.lora.alpha = 8;
    s.lora.dropout = 0.0;
    s.lora.targetMode = engine::TargetMode::AllLinear;
    s.optimizer.learningRate = 1e-2;
    s.optimizer.loraPlusRatio = 4.0;
    s.optimizer.schedule = engine::Schedule::Constant;
    s.optimizer.warmupSteps = 0;
    s.training.maxSteps = steps;
    s.training.batchSize = 4;
    s.training.evalEvery = 0;
    s.training.checkpointEvery = 0;
    s.training.probeEvery = 0;
    s.training.threads = 2;
    return s;
}

QString writeDocument(const QString &dir, const engine::RunSettings &settings)
{
    const QString path = QDir(dir).filePath(QStringLiteral("config.json"));
    QFile file(path);
    if (file.open(QIODevice::WriteOnly))
        file.write(QByteArray::fromStdString(settings.toDocument()));
    return path;
}

} // namespace trainfixture

#include "tests/ui/guitestdata.h"

#include "tests/engine/model/tinymodel.h"

#include <QDir>
#include <QFile>

#include <nlohmann/json.hpp>

namespace guitest {

namespace {

// GPT-2's byte → printable character map (bytes that are printable map to
// themselves; the rest to 256 + n, in byte order).
std::string byteToken(int byte)
{
    static std::vector<std::string> table = [] {
        std::vector<std::string> t(256);
        int next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
            const char32_t code = printable ? char32_t(b) : char32_t(next++);
            std::string utf8;
            if (code < 0x80) {
                utf8 += char(code);
            } else { // all codes here are < 0x800
                utf8 += char(0xC0 | (code >> 6));
                utf8 += char(0x80 | (code & 0x3F));
            }
            t[size_t(b)] = utf8;
        }
        return t;
    }();
    return table[size_t(byte)];
}

void writeText(const QString &path, const std::string &text)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.data(), qint64(text.size())) != qint64(text.size()))
        throw std::runtime_error("cannot write " + path.toStdString());
}

std::string tokenizerJson()
{
    nlohmann::json vocab = nlohmann::json::object();
    for (int b = 0; b < 256; ++b)
        vocab[byteToken(b)] = b;
    vocab["<|endoftext|>"] = 256;
    const nlohmann::json added = {{{"id", 256}, {"content", "<|endoftext|>"}, {"single_word", false}, {"lstrip", false},
                                   {"rstrip", false}, {"normalized", false}, {"special", true}}};
    const nlohmann::json doc = {
        {"version", "1.0"},
        {"truncation", nullptr},
        {"padding", nullptr},
        {"added_tokens", added},
        {"normalizer", nullptr},
        {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
        {"post_processor", nullptr},
        {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
        {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
                   {"end_of_word_suffix", ""}, {"fuse_unk", false}, {"byte_fallback", false}, {"vocab", vocab},
                   {"merges", nlohmann::json::array()}}}};
    return doc.dump();
}

} // namespace

QString writeTinyModel(const QString &dir, int layers)
{
    QDir().mkpath(dir);
    const std::string config = tiny::configJson(
        "gpt2", nlohmann::json{{"vocab_size", 257}, {"n_positions", 128}, {"n_layer", layers}, {"bos_token_id", 256}, {"eos_token_id", 256}}.dump());
    tiny::writeModel(dir, config, tiny::randomWeights(config, 3));
    writeText(QDir(dir).filePath(QStringLiteral("tokenizer.json")), tokenizerJson());
    writeText(QDir(dir).filePath(QStringLiteral("tokenizer_config.json")),
              R"({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "model_max_length": 128})");
    return dir;
}

QString writePromptCompletion(const QString &path, int records)
{
    static const char *animals[] = {"cat", "dog", "owl", "fox", "bee", "elk"};
    static const char *sounds[] = {"meows", "barks", "hoots", "yips", "buzzes", "bugles"};
    std::string text;
    for (int i = 0; i < records; ++i) {
        const int k = i % 6;
        nlohmann::json line = {{"prompt", std::string("What does the ") + animals[k] + " say? "},
                               {"completion", std::string("The ") + animals[k] + " " + sounds[k] + (i % 4 == 0 ? " loudly every single morning." : ".")}};
        text += line.dump() + "\n";
    }
    writeText(path, text);
    return path;
}

} // namespace guitest

#include "tests/engine/generate/tinylm.h"

#include "engine/core/atomicfile.h"
#include "engine/tokenizer/bytelevel.h"
#include "tests/engine/model/tinymodel.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace tinylm {

namespace {

using Json = nlohmann::json;

const char kChatTemplate[] = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                             "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
                             "{{ '<|im_start|>assistant\\n' }}{% endif %}";

std::string mapped(const std::string &bytes)
{
    std::string out;
    engine::tok::ByteLevelMap::instance().encode(bytes, out);
    return out;
}

Json addedToken(int id, const std::string &content)
{
    return { { "id", id }, { "content", content }, { "single_word", false }, { "lstrip", false },
        { "rstrip", false }, { "normalized", false }, { "special", true } };
}

} // namespace

int vocabSize(bool multibyte)
{
    return multibyte ? 104 : 99;
}

int idOf(char printable)
{
    if (printable < '!' || printable > '~')
        throw std::logic_error("tinylm::idOf: not a printable ASCII character");
    return printable - '!';
}

std::string tokenizerJson(bool multibyte)
{
    Json vocab = Json::object();
    for (char c = '!'; c <= '~'; ++c)
        vocab[std::string(1, c)] = idOf(c);
    vocab[mapped(" ")] = kSpace;
    vocab[mapped("\n")] = kNewline;
    vocab["<|endoftext|>"] = kEndOfText;
    vocab["<|im_start|>"] = kImStart;
    vocab["<|im_end|>"] = kImEnd;
    if (multibyte) {
        int id = 99;
        for (const char byte : std::string("\xC3\xA9\xE2\x82\xAC"))
            vocab[mapped(std::string(1, byte))] = id++;
    }
    const Json byteLevel = { { "type", "ByteLevel" }, { "add_prefix_space", false }, { "trim_offsets", true },
        { "use_regex", true } };
    const Json json = { { "version", "1.0" },
        { "added_tokens",
            { addedToken(kEndOfText, "<|endoftext|>"), addedToken(kImStart, "<|im_start|>"),
                addedToken(kImEnd, "<|im_end|>") } },
        { "normalizer", nullptr }, { "pre_tokenizer", byteLevel }, { "post_processor", nullptr },
        { "decoder", byteLevel },
        { "model",
            { { "type", "BPE" }, { "dropout", nullptr }, { "unk_token", nullptr }, { "fuse_unk", false },
                { "byte_fallback", false }, { "vocab", vocab }, { "merges", Json::array() } } } };
    return json.dump();
}

void writeFolder(const QString &dir, const Folder &folder)
{
    Json extra = Json::parse(folder.extraConfig);
    extra["vocab_size"] = vocabSize(folder.multibyte);
    extra["bos_token_id"] = kEndOfText;
    extra["eos_token_id"] = kEndOfText;
    const std::string config = tiny::configJson(folder.modelType, extra.dump());
    tiny::writeModel(dir, config, tiny::randomWeights(config, folder.seed));
    const std::string base = dir.toStdString() + "/";
    engine::writeFileAtomically(base + "tokenizer.json", tokenizerJson(folder.multibyte));
    const Json tokenizerConfig = { { "eos_token", "<|endoftext|>" }, { "bos_token", nullptr },
        { "chat_template", kChatTemplate } };
    engine::writeFileAtomically(base + "tokenizer_config.json", tokenizerConfig.dump(2));
    if (!folder.generationConfig.empty())
        engine::writeFileAtomically(base + "generation_config.json", folder.generationConfig);
}

} // namespace tinylm

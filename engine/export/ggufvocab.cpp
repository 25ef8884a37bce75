#include "engine/export/ggufvocab.h"

#include "engine/core/atomicfile.h"
#include "engine/core/jsonreader.h"
#include "engine/core/status.h"
#include "engine/data/chattemplatedetector.h"
#include "engine/tokenizer/tokenizerloader.h"

#include <filesystem>
#include <map>

namespace engine {

namespace fs = std::filesystem;

namespace {

using Json = nlohmann::json;

// llama_token_type values (llama.h).
constexpr std::int32_t kNormal = 1, kControl = 3, kUserDefined = 4, kUnused = 5;

// The Split regexes of the tokenizers llama.cpp knows by name (llama-vocab.cpp's pre types).
const std::map<std::string, std::string> &knownSplitRegexes()
{
    static const std::map<std::string, std::string> regexes = {
        {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
         "llama-bpe"},
        {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
         "qwen2"},
        {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)", "gpt-2"},
    };
    return regexes;
}

std::vector<Json> preTokenizerSteps(const Json &pre)
{
    if (pre.is_object() && pre.value("type", "") == "Sequence" && pre.contains("pretokenizers"))
        return pre["pretokenizers"].get<std::vector<Json>>();
    if (pre.is_object())
        return {pre};
    return {};
}

bool isByteLevel(const Json &tokenizer)
{
    auto byteLevel = [](const Json &part) {
        for (const Json &step : preTokenizerSteps(part))
            if (step.value("type", "") == "ByteLevel")
                return true;
        return false;
    };
    return byteLevel(tokenizer.value("pre_tokenizer", Json())) || byteLevel(tokenizer.value("decoder", Json()));
}

std::string mergeText(const Json &merge, const std::string &source)
{
    if (merge.is_string())
        return merge.get<std::string>();
    if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string())
        return merge[0].get<std::string>() + " " + merge[1].get<std::string>();
    throw Error(source + ": model.merges: entry " + merge.dump() + " is neither \"a b\" nor [\"a\", \"b\"]");
}

std::string chatTemplateOf(const std::string &modelFolder, const std::string &fallback)
{
    const Result<data::TemplateDetection> detection = data::detectModelChatTemplate(modelFolder);
    if (!detection)
        throw Error(detection.message());
    return detection->jinja.empty() ? fallback : detection->jinja;
}

void fillTokens(GgufVocab &vocab, const Json &tokenizer, std::int64_t rows, const std::string &source)
{
    vocab.tokens.assign(static_cast<std::size_t>(rows), std::string());
    vocab.tokenTypes.assign(static_cast<std::size_t>(rows), kUnused);
    auto place = [&](std::int64_t id, const std::string &text, std::int32_t type) {
        if (id < 0 || id >= rows)
            throw Error(source + ": token '" + text + "' has id " + std::to_string(id) + ", but the model's embedding "
                        "has " + std::to_string(rows) + " rows (hint: the tokenizer does not belong to this model)");
        vocab.tokens[static_cast<std::size_t>(id)] = text;
        vocab.tokenTypes[static_cast<std::size_t>(id)] = type;
    };
    for (const auto &[text, id] : tokenizer["model"]["vocab"].items())
        place(id.get<std::int64_t>(), text, kNormal);
    for (const Json &added : tokenizer.value("added_tokens", Json::array()))
        place(added.value("id", std::int64_t(-1)), added.value("content", std::string()),
              added.value("special", false) ? kControl : kUserDefined);
    for (std::size_t id = 0; id < vocab.tokens.size(); ++id)
        if (vocab.tokenTypes[id] == kUnused)
            vocab.tokens[id] = "[PAD" + std::to_string(id) + "]"; // convert_hf_to_gguf.py's filler
}

} // namespace

std::string llamaCppPreTokenizer(const std::string &preTokenizerJson)
{
    const Json pre = Json::parse(preTokenizerJson, nullptr, false);
    const std::vector<Json> steps = preTokenizerSteps(pre);
    if (steps.size() == 1 && steps[0].value("type", "") == "ByteLevel" && steps[0].value("use_regex", true))
        return "gpt-2";
    for (const Json &step : steps) {
        if (step.value("type", "") != "Split" || !step.contains("pattern") || !step["pattern"].contains("Regex"))
            continue;
        const auto it = knownSplitRegexes().find(step["pattern"]["Regex"].get<std::string>());
        if (it != knownSplitRegexes().end())
            return it->second;
    }
    return {};
}

GgufVocab readGgufVocab(const std::string &modelFolder, std::int64_t vocabRows, const std::string &chatTemplate)
{
    const std::string source = (fs::path(modelFolder) / "tokenizer.json").string();
    if (!fs::exists(source))
        throw Error("GGUF model: '" + modelFolder + "' has no tokenizer.json, which the GGUF's vocabulary is made "
                    "from (hint: add the base model's tokenizer.json to its folder)");
    const Json tokenizer = parseJsonObject(readFile(source), source);
    const Json &model = tokenizer.value("model", Json::object());
    if (model.value("type", "") != "BPE" || !model.contains("vocab") || !isByteLevel(tokenizer))
        throw Error(source + ": model.type '" + model.value("type", std::string("?")) + "' without a ByteLevel "
                    "pre-tokenizer: only byte-level BPE tokenizers (GPT-2, Llama-3, Qwen2/3) can be written as GGUF "
                    "by Lorafit (hint: export a merged model and convert it with llama.cpp's convert_hf_to_gguf.py)");
    if (model.value("byte_fallback", false))
        throw Error(source + ": model.byte_fallback is set (a SentencePiece-style tokenizer), which Lorafit does not "
                    "write as GGUF (hint: export a merged model and convert it with convert_hf_to_gguf.py)");
    GgufVocab vocab;
    fillTokens(vocab, tokenizer, vocabRows, source);
    for (const Json &merge : model.value("merges", Json::array()))
        vocab.merges.push_back(mergeText(merge, source));
    vocab.pre = llamaCppPreTokenizer(tokenizer.value("pre_tokenizer", Json()).dump());
    if (vocab.pre.empty()) {
        vocab.pre = "default";
        vocab.preWarning = "GGUF model: " + source + "'s pre_tokenizer matches none of the regexes llama.cpp knows "
                           "by name (gpt-2, llama-bpe, qwen2); written as 'default', so llama.cpp may split some "
                           "texts differently from Lorafit";
    }
    const Result<std::unique_ptr<Tokenizer>> loaded = loadTokenizer(modelFolder);
    if (!loaded)
        throw Error(loaded.message());
    const SpecialTokens &special = loaded.value()->specialTokens();
    vocab.bos = special.bos.value_or(-1);
    vocab.eos = special.eos.value_or(-1);
    vocab.pad = special.pad.value_or(-1);
    vocab.unk = special.unk.value_or(-1);
    vocab.addBos = special.addBos;
    vocab.addEos = special.addEos;
    vocab.chatTemplate = chatTemplateOf(modelFolder, chatTemplate);
    return vocab;
}

void addGgufVocab(GgufWriter &writer, const GgufVocab &vocab)
{
    writer.addString("tokenizer.ggml.model", "gpt2");
    writer.addString("tokenizer.ggml.pre", vocab.pre);
    writer.addStringArray("tokenizer.ggml.tokens", vocab.tokens);
    writer.addInt32Array("tokenizer.ggml.token_type", vocab.tokenTypes);
    writer.addStringArray("tokenizer.ggml.merges", vocab.merges);
    const std::pair<const char *, std::int64_t> ids[] = {{"tokenizer.ggml.bos_token_id", vocab.bos},
        {"tokenizer.ggml.eos_token_id", vocab.eos}, {"tokenizer.ggml.padding_token_id", vocab.pad},
        {"tokenizer.ggml.unknown_token_id", vocab.unk}};
    for (const auto &[key, id] : ids)
        if (id >= 0)
            writer.addUint32(key, static_cast<std::uint32_t>(id));
    writer.addBool("tokenizer.ggml.add_bos_token", vocab.addBos);
    writer.addBool("tokenizer.ggml.add_eos_token", vocab.addEos);
    if (!vocab.chatTemplate.empty())
        writer.addString("tokenizer.chat_template", vocab.chatTemplate);
}

} // namespace engine

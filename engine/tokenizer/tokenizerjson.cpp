// tokenizer.json and vocab.json + merges.txt readers (see tokenizerjson.h).
#include "engine/tokenizer/tokenizerjson.h"

#include "engine/core/status.h"
#include "engine/tokenizer/utf8.h"

namespace engine::tok {
namespace {

// Ids index dense tables; real vocabularies have at most a few hundred thousand tokens.
constexpr std::uint64_t kMaxTokenId = (1u << 24) - 1;

std::vector<std::pair<std::string, TokenId>> readVocab(const Json &vocab, const std::string &context)
{
    if (!vocab.is_object())
        failField(context, "expected an object {token: id}");
    std::vector<std::pair<std::string, TokenId>> out;
    out.reserve(vocab.size());
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        if (!it.value().is_number_unsigned() || it.value().get<std::uint64_t>() > kMaxTokenId)
            failField(context + "." + it.key(), "expected a non-negative integer id below 2^24");
        out.emplace_back(it.key(), it.value().get<TokenId>());
    }
    return out;
}

BpeModel::Merge splitMergeLine(const std::string &line, const std::string &context)
{
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
        failField(context, "merge '" + line + "' must be two tokens separated by one space",
                  "tokens that contain spaces need the [\"left\", \"right\"] form");
    return {line.substr(0, space), line.substr(space + 1)};
}

std::vector<BpeModel::Merge> readMerges(const Json &merges, const std::string &context)
{
    if (!merges.is_array())
        failField(context, "expected a list of merges");
    std::vector<BpeModel::Merge> out;
    out.reserve(merges.size());
    for (std::size_t i = 0; i < merges.size(); ++i) {
        const Json &m = merges[i];
        const std::string where = context + "[" + std::to_string(i) + "]";
        if (m.is_string())
            out.push_back(splitMergeLine(m.get<std::string>(), where));
        else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
            out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
        else
            failField(where, "expected \"left right\" or [\"left\", \"right\"]");
    }
    return out;
}

std::unique_ptr<BpeModel> readModel(const Json &model, const std::string &name)
{
    const std::string context = name + ": model";
    if (!model.is_object())
        failField(context, "expected an object");
    const std::string type = model.contains("type") ? componentType(model, context)
                                                    : (model.contains("merges") ? "BPE" : "unknown");
    if (type != "BPE")
        failField(context, "tokenizer model type '" + type + "' is not supported",
                  "Lorafit supports BPE tokenizers (GPT-2, Llama, Mistral, Qwen); WordPiece, Unigram and "
                  "WordLevel models are not supported");
    BpeOptions options;
    if (model.contains("unk_token") && !model["unk_token"].is_null())
        options.unkToken = requireString(model, "unk_token", context);
    options.continuingSubwordPrefix = optionalString(model, "continuing_subword_prefix", "", context);
    options.endOfWordSuffix = optionalString(model, "end_of_word_suffix", "", context);
    options.fuseUnk = optionalBool(model, "fuse_unk", false, context);
    options.byteFallback = optionalBool(model, "byte_fallback", false, context);
    options.ignoreMerges = optionalBool(model, "ignore_merges", false, context);
    if (model.contains("dropout") && !model["dropout"].is_null() && model["dropout"] != 0.0)
        failField(context + ".dropout", "BPE dropout is a training-time option Lorafit does not apply",
                  "set \"dropout\": null");
    const auto vocab = readVocab(requireMember(model, "vocab", context), context + ".vocab");
    const auto merges = readMerges(model.contains("merges") ? model["merges"] : Json::array(), context + ".merges");
    return std::make_unique<BpeModel>(vocab, merges, std::move(options), context);
}

std::vector<AddedToken> readAddedTokens(const Json &list, const std::string &context)
{
    std::vector<AddedToken> out;
    if (list.is_null())
        return out;
    if (!list.is_array())
        failField(context, "expected a list");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string where = context + "[" + std::to_string(i) + "]";
        const Json &j = list[i];
        AddedToken token;
        token.content = requireString(j, "content", where);
        const Json &id = requireMember(j, "id", where);
        if (!id.is_number_unsigned() || id.get<std::uint64_t>() > kMaxTokenId)
            failField(where + ".id", "expected a non-negative integer id below 2^24");
        token.id = id.get<TokenId>();
        token.special = optionalBool(j, "special", false, where);
        token.singleWord = optionalBool(j, "single_word", false, where);
        token.lstrip = optionalBool(j, "lstrip", false, where);
        token.rstrip = optionalBool(j, "rstrip", false, where);
        token.normalized = optionalBool(j, "normalized", !token.special, where);
        out.push_back(std::move(token));
    }
    return out;
}

const Json &memberOrNull(const Json &j, const char *key)
{
    static const Json null;
    const auto it = j.find(key);
    return it == j.end() ? null : *it;
}

} // namespace

Json parseJsonText(std::string_view text, const std::string &name)
{
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error &e) {
        throw Error(name + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what()
                    + " (hint: the file is damaged or truncated; download it again)");
    }
}

std::unique_ptr<HfTokenizer> parseTokenizerJson(std::string_view json, const std::string &name)
{
    const Json root = parseJsonText(json, name);
    if (!root.is_object())
        failField(name, "expected a JSON object at the top level", "this does not look like a tokenizer.json");
    HfTokenizerParts parts;
    parts.model = readModel(requireMember(root, "model", name), name);
    parts.normalizer = parseNormalizer(memberOrNull(root, "normalizer"), name + ": normalizer");
    parts.preTokenizer = parsePreTokenizer(memberOrNull(root, "pre_tokenizer"), name + ": pre_tokenizer");
    parts.decoder = parseTokenDecoder(memberOrNull(root, "decoder"), name + ": decoder");
    parts.post = parsePostTemplate(memberOrNull(root, "post_processor"), name + ": post_processor");
    parts.addedTokens = readAddedTokens(memberOrNull(root, "added_tokens"), name + ": added_tokens");
    auto tokenizer = std::make_unique<HfTokenizer>(std::move(parts));
    const PostTemplate &post = tokenizer->postTemplate();
    for (const auto *ids : {&post.prefix, &post.suffix})
        for (const TokenId id : *ids)
            if (tokenizer->idToToken(id).empty())
                failField(name + ": post_processor", "special token id " + std::to_string(id) + " is not in the vocabulary",
                          "the ids of special_tokens must be ids of model.vocab or added_tokens");
    return tokenizer;
}

std::unique_ptr<HfTokenizer> parseGpt2Files(std::string_view vocabJson, const std::string &vocabName,
                                            std::string_view mergesText, const std::string &mergesName)
{
    const auto vocab = readVocab(parseJsonText(vocabJson, vocabName), vocabName);
    requireUtf8(mergesText, mergesName);
    std::vector<BpeModel::Merge> merges;
    std::size_t lineStart = 0;
    for (std::size_t lineNumber = 1; lineStart < mergesText.size(); ++lineNumber) {
        std::size_t lineEnd = mergesText.find('\n', lineStart);
        if (lineEnd == std::string_view::npos)
            lineEnd = mergesText.size();
        std::string line(mergesText.substr(lineStart, lineEnd - lineStart));
        lineStart = lineEnd + 1;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty() || line.rfind("#version", 0) == 0)
            continue;
        merges.push_back(splitMergeLine(line, mergesName + ":" + std::to_string(lineNumber)));
    }
    HfTokenizerParts parts;
    parts.model = std::make_unique<BpeModel>(vocab, merges, BpeOptions{}, vocabName + " + " + mergesName);
    parts.preTokenizer = makeGpt2PreTokenizer();
    parts.decoder = makeByteLevelDecoder();
    const std::string endOfText = "<|endoftext|>";
    if (const auto id = parts.model->tokenToId(endOfText))
        parts.addedTokens.push_back({endOfText, *id, false, false, false, false, true});
    return std::make_unique<HfTokenizer>(std::move(parts));
}

} // namespace engine::tok

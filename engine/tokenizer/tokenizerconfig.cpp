// Special-token roles from tokenizer_config.json and generation_config.json
// (see tokenizerconfig.h). For Llama tokenizer classes, add_bos_token and
// add_eos_token rebuild the post-processor, as transformers'
// LlamaTokenizerFast.update_post_processor does; other classes keep theirs.
#include "engine/tokenizer/tokenizerconfig.h"

#include "engine/tokenizer/tokenizerjson.h"

#include <algorithm>

namespace engine::tok {
namespace {

void addStopId(SpecialTokens &special, TokenId id)
{
    if (std::find(special.stopIds.begin(), special.stopIds.end(), id) == special.stopIds.end())
        special.stopIds.push_back(id);
}

void refreshFlags(HfTokenizer &tokenizer)
{
    SpecialTokens &special = tokenizer.mutableSpecialTokens();
    const PostTemplate &post = tokenizer.postTemplate();
    special.addBos = special.bos && std::find(post.prefix.begin(), post.prefix.end(), *special.bos) != post.prefix.end();
    special.addEos = special.eos && std::find(post.suffix.begin(), post.suffix.end(), *special.eos) != post.suffix.end();
    special.stopIds.clear();
    if (special.eos)
        addStopId(special, *special.eos);
}

// Sets one role from a tokenizer_config.json value: a string, an AddedToken object or null.
void applyRole(HfTokenizer &tokenizer, const Json &config, const char *key, std::optional<TokenId> &id,
               std::string *text, const std::string &name)
{
    const auto it = config.find(key);
    if (it == config.end())
        return;
    std::string content;
    if (it->is_null()) {
        id.reset();
        if (text)
            text->clear();
        return;
    }
    if (it->is_string())
        content = it->get<std::string>();
    else if (it->is_object())
        content = requireString(*it, "content", name + ": " + key);
    else
        failField(name + ": " + key, "expected a string, an AddedToken object or null");
    const auto found = tokenizer.tokenToId(content);
    if (!found)
        failField(name + ": " + key, "token '" + content + "' is not in the tokenizer's vocabulary",
                  "tokenizer_config.json and tokenizer.json must come from the same model");
    id = found;
    if (text)
        *text = content;
}

} // namespace

void deriveSpecialTokens(HfTokenizer &tokenizer)
{
    SpecialTokens &special = tokenizer.mutableSpecialTokens();
    const PostTemplate &post = tokenizer.postTemplate();
    if (post.prefix.size() == 1) {
        special.bos = post.prefix.front();
        special.bosText = tokenizer.idToToken(*special.bos);
    }
    if (post.suffix.size() == 1) {
        special.eos = post.suffix.front();
        special.eosText = tokenizer.idToToken(*special.eos);
    }
    if (const auto &unk = tokenizer.model().options().unkToken)
        special.unk = tokenizer.tokenToId(*unk);
    refreshFlags(tokenizer);
}

void setGpt2SpecialTokens(HfTokenizer &tokenizer)
{
    const auto id = tokenizer.tokenToId("<|endoftext|>");
    if (!id)
        return;
    SpecialTokens &special = tokenizer.mutableSpecialTokens();
    special.bos = special.eos = special.unk = id;
    special.bosText = special.eosText = "<|endoftext|>";
    refreshFlags(tokenizer);
}

void applyTokenizerConfig(HfTokenizer &tokenizer, std::string_view json, const std::string &name)
{
    const Json config = parseJsonText(json, name);
    if (!config.is_object())
        failField(name, "expected a JSON object at the top level");
    SpecialTokens &special = tokenizer.mutableSpecialTokens();
    applyRole(tokenizer, config, "bos_token", special.bos, &special.bosText, name);
    applyRole(tokenizer, config, "eos_token", special.eos, &special.eosText, name);
    applyRole(tokenizer, config, "pad_token", special.pad, &special.padText, name);
    applyRole(tokenizer, config, "unk_token", special.unk, nullptr, name);

    const std::string tokenizerClass = optionalString(config, "tokenizer_class", "", name);
    const bool llamaClass = tokenizerClass.find("Llama") != std::string::npos;
    if (llamaClass && (config.contains("add_bos_token") || config.contains("add_eos_token"))) {
        const bool addBos = optionalBool(config, "add_bos_token", true, name);
        const bool addEos = optionalBool(config, "add_eos_token", false, name);
        PostTemplate post;
        if (addBos && special.bos)
            post.prefix.push_back(*special.bos);
        if (addEos && special.eos)
            post.suffix.push_back(*special.eos);
        tokenizer.setPostTemplate(std::move(post));
    }
    refreshFlags(tokenizer);
}

void applyGenerationConfig(HfTokenizer &tokenizer, std::string_view json, const std::string &name)
{
    const Json config = parseJsonText(json, name);
    if (!config.is_object())
        failField(name, "expected a JSON object at the top level");
    const auto it = config.find("eos_token_id");
    if (it == config.end() || it->is_null())
        return;
    SpecialTokens &special = tokenizer.mutableSpecialTokens();
    const auto addChecked = [&](const Json &value) {
        if (!value.is_number_unsigned() || value.get<std::uint64_t>() >= tokenizer.vocabSize())
            failField(name + ": eos_token_id", "expected token ids below the vocabulary size "
                          + std::to_string(tokenizer.vocabSize()));
        addStopId(special, value.get<TokenId>());
    };
    if (it->is_array())
        for (const Json &value : *it)
            addChecked(value);
    else
        addChecked(*it);
}

} // namespace engine::tok

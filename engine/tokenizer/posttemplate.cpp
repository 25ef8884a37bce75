// Post-processors of tokenizer.json as prefix/suffix ids (see posttemplate.h).
#include "engine/tokenizer/posttemplate.h"

namespace engine::tok {
namespace {

std::vector<TokenId> specialTokenIds(const Json &specialTokens, const std::string &name, const std::string &context)
{
    if (!specialTokens.is_object() || !specialTokens.contains(name))
        failField(context + ".special_tokens", "the template uses '" + name + "' but special_tokens does not define it");
    const Json &ids = requireMember(specialTokens[name], "ids", context + ".special_tokens." + name);
    if (!ids.is_array())
        failField(context + ".special_tokens." + name + ".ids", "expected a list of ids");
    std::vector<TokenId> out;
    for (const Json &id : ids) {
        if (!id.is_number_unsigned())
            failField(context + ".special_tokens." + name + ".ids", "expected non-negative integers");
        out.push_back(id.get<TokenId>());
    }
    return out;
}

PostTemplate parseTemplateProcessing(const Json &j, const std::string &context)
{
    const Json &single = requireMember(j, "single", context);
    const Json &specialTokens = j.contains("special_tokens") ? j["special_tokens"] : Json::object();
    if (!single.is_array())
        failField(context + ".single", "expected a list of template pieces");
    PostTemplate result;
    bool seenSequence = false;
    for (std::size_t i = 0; i < single.size(); ++i) {
        const std::string where = context + ".single[" + std::to_string(i) + "]";
        const Json &item = single[i];
        if (item.is_object() && item.contains("Sequence")) {
            const std::string id = requireString(item["Sequence"], "id", where + ".Sequence");
            if (id != "A" || seenSequence)
                failField(where, "a single-sequence template must contain $A exactly once");
            seenSequence = true;
        } else if (item.is_object() && item.contains("SpecialToken")) {
            const std::string name = requireString(item["SpecialToken"], "id", where + ".SpecialToken");
            const std::vector<TokenId> ids = specialTokenIds(specialTokens, name, context);
            auto &target = seenSequence ? result.suffix : result.prefix;
            target.insert(target.end(), ids.begin(), ids.end());
        } else {
            failField(where, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
        }
    }
    if (!seenSequence)
        failField(context + ".single", "the template has no $A sequence");
    return result;
}

TokenId pairId(const Json &j, const char *key, TokenId fallback, const std::string &context)
{
    if (!j.contains(key))
        return fallback;
    const Json &pair = j[key];
    if (!pair.is_array() || pair.size() != 2 || !pair[1].is_number_unsigned())
        failField(context + "." + key, "expected [token, id]");
    return pair[1].get<TokenId>();
}

} // namespace

void PostTemplate::apply(std::vector<TokenId> &ids) const
{
    ids.insert(ids.begin(), prefix.begin(), prefix.end());
    ids.insert(ids.end(), suffix.begin(), suffix.end());
}

PostTemplate parsePostTemplate(const Json &j, const std::string &context)
{
    if (j.is_null())
        return {};
    const std::string type = componentType(j, context);
    if (type == "ByteLevel")
        return {};
    if (type == "TemplateProcessing")
        return parseTemplateProcessing(j, context);
    if (type == "RobertaProcessing" || type == "BertProcessing") {
        const bool roberta = type == "RobertaProcessing";
        return {{pairId(j, "cls", roberta ? 0 : 101, context)}, {pairId(j, "sep", roberta ? 2 : 102, context)}};
    }
    if (type == "Sequence") {
        const Json &list = requireMember(j, "processors", context);
        if (!list.is_array())
            failField(context + ".processors", "expected a list");
        PostTemplate result;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const PostTemplate inner = parsePostTemplate(list[i], context + ".processors[" + std::to_string(i) + "]");
            result.prefix.insert(result.prefix.begin(), inner.prefix.begin(), inner.prefix.end());
            result.suffix.insert(result.suffix.end(), inner.suffix.begin(), inner.suffix.end());
        }
        return result;
    }
    failField(context, "post-processor type '" + type + "' is not supported",
              "supported: TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence");
}

} // namespace engine::tok

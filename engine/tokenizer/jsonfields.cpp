// Field readers with file/field-naming errors (see jsonfields.h).
#include "engine/tokenizer/jsonfields.h"

#include "engine/core/status.h"

namespace engine::tok {

void failField(const std::string &context, const std::string &problem, const std::string &hint)
{
    throw Error(context + ": " + problem + " (hint: " + hint + ")");
}

const Json &requireMember(const Json &j, const char *key, const std::string &context)
{
    if (!j.is_object())
        failField(context, std::string("expected an object, found ") + j.type_name());
    const auto it = j.find(key);
    if (it == j.end())
        failField(context, std::string("missing field '") + key + "'");
    return *it;
}

std::string requireString(const Json &j, const char *key, const std::string &context)
{
    const Json &value = requireMember(j, key, context);
    if (!value.is_string())
        failField(context + "." + key, std::string("expected a string, found ") + value.type_name());
    return value.get<std::string>();
}

bool optionalBool(const Json &j, const char *key, bool fallback, const std::string &context)
{
    if (!j.is_object())
        failField(context, std::string("expected an object, found ") + j.type_name());
    const auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_boolean())
        failField(context + "." + key, std::string("expected true or false, found ") + it->type_name());
    return it->get<bool>();
}

std::string optionalString(const Json &j, const char *key, const std::string &fallback, const std::string &context)
{
    if (!j.is_object())
        failField(context, std::string("expected an object, found ") + j.type_name());
    const auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_string())
        failField(context + "." + key, std::string("expected a string, found ") + it->type_name());
    return it->get<std::string>();
}

std::string componentType(const Json &j, const std::string &context)
{
    return requireString(j, "type", context);
}

} // namespace engine::tok

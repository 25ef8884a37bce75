// Small helpers for reading tokenizer JSON files with errors that name the
// file and the field ("tokenizer.json: model.merges[3]: ..."). Internal to
// engine/tokenizer; includes nlohmann/json.
#pragma once

// GCC 12 reports null dereferences inside nlohmann/json's inlined iterators
// (false positives in a system header); silence them for tokenizer sources.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <nlohmann/json.hpp>

#include <string>

namespace engine::tok {

using Json = nlohmann::json;

// Throws engine::Error "<context>: <problem> (hint: <hint>)".
[[noreturn]] void failField(const std::string &context, const std::string &problem,
                            const std::string &hint = "the file may be damaged or from a newer format");

// The member `key` of object j; throws if j is not an object or the member is missing.
const Json &requireMember(const Json &j, const char *key, const std::string &context);
std::string requireString(const Json &j, const char *key, const std::string &context);

// Optional members with a default when absent or null; throw on a wrong type.
bool optionalBool(const Json &j, const char *key, bool fallback, const std::string &context);
std::string optionalString(const Json &j, const char *key, const std::string &fallback, const std::string &context);

// The "type" tag of a component object.
std::string componentType(const Json &j, const std::string &context);

} // namespace engine::tok

// JSON text -> Record via nlohmann::json, converting the DOM to Fields.
#include "engine/data/jsonrecord.h"

#include "engine/data/recorderror.h"
#include "engine/data/utf8.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace engine::data {

namespace {

using Json = nlohmann::json;

void toField(const Json &json, Field &out)
{
    switch (json.type()) {
    case Json::value_t::string:
        out.kind = Field::Kind::String;
        out.text = json.get_ref<const std::string &>();
        break;
    case Json::value_t::boolean:
        out.kind = Field::Kind::Bool;
        out.text = json.get<bool>() ? "true" : "false";
        break;
    case Json::value_t::null:
        out.kind = Field::Kind::Null;
        out.text = "null";
        break;
    case Json::value_t::array:
        out.kind = Field::Kind::Array;
        out.children.resize(json.size());
        for (std::size_t i = 0; i < json.size(); ++i)
            toField(json[i], out.children[i]);
        break;
    case Json::value_t::object:
        out.kind = Field::Kind::Object;
        out.children.reserve(json.size());
        for (const auto &[key, value] : json.items()) {
            out.children.emplace_back();
            out.children.back().name = key;
            toField(value, out.children.back());
        }
        break;
    default: // numbers
        out.kind = Field::Kind::Number;
        out.text = json.dump();
        break;
    }
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string plainMessage(const char *what)
{
    std::string message = what;
    const auto close = message.find("] ");
    if (message.rfind("[json.exception", 0) == 0 && close != std::string::npos)
        message.erase(0, close + 2);
    return message;
}

} // namespace

std::int64_t lineAt(std::string_view text, std::size_t offset, std::int64_t firstLine)
{
    offset = std::min(offset, text.size());
    return firstLine + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
}

void parseJsonRecord(std::string_view text, const std::string &source, std::int64_t line, Record &out)
{
    const std::size_t bad = firstInvalidUtf8(text);
    if (bad != kValidUtf8)
        throw RecordError(source + ":" + std::to_string(lineAt(text, bad, line)) + ": invalid UTF-8 (byte "
            + std::to_string(bad + 1) + " of the record)" + " (hint: save the file as UTF-8)");
    Json json;
    try {
        json = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error &e) {
        const std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
        throw RecordError(source + ":" + std::to_string(lineAt(text, at, line))
            + ": invalid JSON: " + plainMessage(e.what()) + " (hint: each record must be one JSON object)");
    }
    if (!json.is_object())
        throw RecordError(source + ":" + std::to_string(line) + ": the record is a JSON " + json.type_name()
            + ", expected an object (hint: write records as {\"text\": ...})");
    out.source = source;
    out.line = line;
    out.fields.clear();
    out.fields.reserve(json.size());
    for (const auto &[key, value] : json.items()) {
        out.fields.emplace_back();
        out.fields.back().name = key;
        toField(value, out.fields.back());
    }
}

} // namespace engine::data

#include "engine/core/jsonreader.h"

#include <algorithm>
#include <limits>

namespace engine {

const nlohmann::json JsonReader::kEmptyObject = nlohmann::json::object();

JsonReader::JsonReader(const nlohmann::json &object, std::string where) : m_object(object), m_where(std::move(where))
{
    if (!m_object.is_object())
        throw Error(m_where + ": expected an object, found " + jsonTypeName(m_object));
}

std::string JsonReader::path(const char *key) const
{
    return m_where + (m_where.find(": ") == std::string::npos ? ": " : ".") + key;
}

void JsonReader::fail(const char *key, const std::string &problem) const
{
    throw Error(path(key) + ": " + problem);
}

bool JsonReader::has(const char *key) const
{
    return m_object.contains(key) && !m_object.at(key).is_null();
}

const nlohmann::json *JsonReader::present(const char *key)
{
    m_seen.insert(key);
    return has(key) ? &m_object.at(key) : nullptr;
}

void JsonReader::expect(const char *key, bool ok, const char *what, const nlohmann::json &found) const
{
    if (!ok)
        fail(key, std::string("expected ") + what + ", found " + jsonTypeName(found));
}

void JsonReader::read(const char *key, bool &out)
{
    if (const nlohmann::json *v = present(key)) {
        expect(key, v->is_boolean(), "true or false", *v);
        out = v->get<bool>();
    }
}

void JsonReader::read(const char *key, std::int64_t &out)
{
    if (const nlohmann::json *v = present(key)) {
        const bool wholeFloat = v->is_number_float()
            && v->get<double>() == static_cast<double>(static_cast<std::int64_t>(v->get<double>()));
        expect(key, v->is_number_integer() || wholeFloat, "a whole number", *v);
        out = wholeFloat ? static_cast<std::int64_t>(v->get<double>()) : v->get<std::int64_t>();
    }
}

void JsonReader::read(const char *key, int &out)
{
    std::int64_t wide = out;
    read(key, wide);
    if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
        fail(key, "number out of range");
    out = static_cast<int>(wide);
}

void JsonReader::read(const char *key, std::uint64_t &out)
{
    std::int64_t wide = static_cast<std::int64_t>(out);
    read(key, wide);
    if (wide < 0)
        fail(key, "must not be negative");
    out = static_cast<std::uint64_t>(wide);
}

void JsonReader::read(const char *key, double &out)
{
    if (const nlohmann::json *v = present(key)) {
        expect(key, v->is_number(), "a number", *v);
        out = v->get<double>();
    }
}

void JsonReader::read(const char *key, std::string &out)
{
    if (const nlohmann::json *v = present(key)) {
        expect(key, v->is_string(), "a string", *v);
        out = v->get<std::string>();
    }
}

template <typename T, typename Check>
void JsonReader::readList(const char *key, std::vector<T> &out, Check isItem, const char *what)
{
    if (const nlohmann::json *v = present(key)) {
        expect(key, v->is_array(), what, *v);
        std::vector<T> items;
        for (const auto &item : *v) {
            if (!isItem(item))
                fail(key, std::string("expected ") + what + ", found an item that is " + jsonTypeName(item));
            items.push_back(item.template get<T>());
        }
        out = std::move(items);
    }
}

template <typename T, typename Check>
void JsonReader::readMap(const char *key, std::map<std::string, T> &out, Check isItem, const char *what)
{
    if (const nlohmann::json *v = present(key)) {
        expect(key, v->is_object(), (std::string("an object of ") + what + "s").c_str(), *v);
        std::map<std::string, T> items;
        for (const auto &[name, item] : v->items()) {
            if (!isItem(item))
                fail(key, "entry '" + name + "' must be " + what + ", found " + jsonTypeName(item));
            items[name] = item.template get<T>();
        }
        out = std::move(items);
    }
}

void JsonReader::read(const char *key, std::vector<std::string> &out)
{
    readList(key, out, [](const nlohmann::json &j) { return j.is_string(); }, "a list of strings");
}

void JsonReader::read(const char *key, std::vector<int> &out)
{
    readList(key, out, [](const nlohmann::json &j) { return j.is_number_integer(); }, "a list of whole numbers");
}

void JsonReader::read(const char *key, std::map<std::string, int> &out)
{
    readMap(key, out, [](const nlohmann::json &j) { return j.is_number_integer(); }, "a whole number");
}

void JsonReader::read(const char *key, std::map<std::string, double> &out)
{
    readMap(key, out, [](const nlohmann::json &j) { return j.is_number(); }, "a number");
}

JsonReader JsonReader::child(const char *key)
{
    const nlohmann::json *v = present(key);
    if (!v)
        return JsonReader(kEmptyObject, path(key));
    expect(key, v->is_object(), "an object", *v);
    return JsonReader(*v, path(key));
}

void JsonReader::rejectUnknownKeys() const
{
    for (const auto &[key, item] : m_object.items()) {
        (void)item;
        if (!m_seen.count(key)) {
            std::string known;
            for (const auto &k : m_seen)
                known += (known.empty() ? "" : ", ") + k;
            throw Error(path(key.c_str()) + ": unknown setting (hint: known settings here are " + known + ")");
        }
    }
}

nlohmann::json parseJsonObject(const std::string &text, const std::string &source)
{
    nlohmann::json parsed;
    try {
        parsed = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error &e) {
        // e.byte is 1-based; turn it into line and column.
        const std::size_t at = std::min<std::size_t>(e.byte ? e.byte - 1 : 0, text.size());
        const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
        const auto lastNewline = text.rfind('\n', at ? at - 1 : 0);
        const auto column = at - (lastNewline == std::string::npos ? 0 : lastNewline + 1) + 1;
        throw Error(source + ":" + std::to_string(line) + ":" + std::to_string(column)
                    + ": invalid JSON (hint: check for a missing comma, quote or bracket near here)");
    }
    if (!parsed.is_object())
        throw Error(source + ": expected a JSON object at the top level, found " + jsonTypeName(parsed));
    return parsed;
}

std::string jsonTypeName(const nlohmann::json &value)
{
    switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "a list";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "true/false";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "an unsupported value";
    }
}

} // namespace engine

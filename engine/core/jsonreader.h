// Reading settings objects from JSON with messages that name the file and the
// field path ("run.json: optimizer.learning_rate: expected a number, found a
// string"). Internal to the engine (uses nlohmann::json); public config structs
// expose toJson()/fromJson() on std::string instead.
#pragma once

#include "engine/core/status.h"

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace engine {

class JsonReader
{
public:
    // `object` must outlive the reader. `where` prefixes messages: "file.json: section".
    JsonReader(const nlohmann::json &object, std::string where);

    // Each reads an optional key into `out`, leaving it unchanged if absent;
    // a present key of the wrong type throws engine::Error.
    void read(const char *key, bool &out);
    void read(const char *key, int &out);
    void read(const char *key, std::int64_t &out);
    void read(const char *key, std::uint64_t &out);
    void read(const char *key, double &out);
    void read(const char *key, std::string &out);
    void read(const char *key, std::vector<std::string> &out);
    void read(const char *key, std::vector<int> &out);
    void read(const char *key, std::map<std::string, int> &out);
    void read(const char *key, std::map<std::string, double> &out);

    // Reads a string key that must be one of `names`; out becomes the matching value.
    template <typename E>
    void readEnum(const char *key, E &out, std::initializer_list<std::pair<const char *, E>> names)
    {
        std::string text;
        if (!has(key))
            return;
        read(key, text);
        std::string allowed;
        for (const auto &[name, value] : names) {
            if (text == name) {
                out = value;
                return;
            }
            allowed += (allowed.empty() ? "'" : ", '") + std::string(name) + "'";
        }
        fail(key, "unknown value '" + text + "' (hint: use one of " + allowed + ")");
    }

    // The sub-object at `key` (an empty object if absent); throws if not an object.
    JsonReader child(const char *key);

    bool has(const char *key) const;
    // Throws if the object has keys that were never read: catches typos.
    void rejectUnknownKeys() const;
    [[noreturn]] void fail(const char *key, const std::string &problem) const;

private:
    // Marks key as read; the value, or nullptr if absent or null.
    const nlohmann::json *present(const char *key);
    void expect(const char *key, bool ok, const char *what, const nlohmann::json &found) const;
    template <typename T, typename Check>
    void readList(const char *key, std::vector<T> &out, Check isItem, const char *what);
    template <typename T, typename Check>
    void readMap(const char *key, std::map<std::string, T> &out, Check isItem, const char *what);
    std::string path(const char *key) const;

    const nlohmann::json &m_object;
    std::string m_where;
    std::set<std::string> m_seen;
    static const nlohmann::json kEmptyObject;
};

// Parses text as a JSON object; throws engine::Error naming `source` and the
// line/column of a syntax error.
nlohmann::json parseJsonObject(const std::string &text, const std::string &source);

// Names a JSON value's type for messages: "a number", "a string", ...
std::string jsonTypeName(const nlohmann::json &value);

} // namespace engine

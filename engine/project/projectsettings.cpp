#include "engine/project/projectsettings.h"

#include "engine/core/status.h"
#include "engine/project/projectpaths.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace engine {

using nlohmann::json;

namespace {

bool endsWith(const std::string &text, const std::string &suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isPathKey(const std::string &key)
{
    return key == "path" || key == "paths" || endsWith(key, "_path") || endsWith(key, "_paths");
}

std::string joinedNames()
{
    std::string names;
    for (const std::string &name : settingsSectionNames())
        names += (names.empty() ? "" : ", ") + name;
    return names;
}

void rewritePaths(json &value, const std::string &folder, bool toStored)
{
    auto convert = [&](json &item) {
        if (item.is_string())
            item = toStored ? storedProjectPath(folder, item.get<std::string>())
                            : absoluteProjectPath(folder, item.get<std::string>());
    };
    if (value.is_array()) {
        for (json &item : value)
            rewritePaths(item, folder, toStored);
        return;
    }
    if (!value.is_object())
        return;
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (isPathKey(it.key()) && it.value().is_string()) {
            convert(it.value());
        } else if (isPathKey(it.key()) && it.value().is_array()) {
            for (json &item : it.value())
                convert(item);
        } else {
            rewritePaths(it.value(), folder, toStored);
        }
    }
}

json parseObject(const std::string &text, const std::string &what)
{
    json value;
    try {
        value = json::parse(text);
    } catch (const json::parse_error &e) {
        throw Error(what + " is not valid JSON: " + e.what() + " (hint: check quotes, commas and braces)");
    }
    if (!value.is_object())
        throw Error(what + " must be a JSON object, not " + value.type_name() + " (hint: wrap it in { })");
    return value;
}

void checkSectionName(const std::string &name, const std::string &what)
{
    const auto &names = settingsSectionNames();
    if (std::find(names.begin(), names.end(), name) == names.end())
        throw Error(
            what + " names an unknown settings section '" + name + "' (hint: the sections are " + joinedNames() + ")");
}

std::string fieldError(const std::string &file, const std::string &field, const std::string &problem)
{
    return file + ": field '" + field + "' " + problem;
}

SettingsSection parseSection(const std::string &name, const json &entry, const std::string &file)
{
    const std::string field = "sections." + name;
    checkSectionName(name, file + ": field '" + field + "'");
    if (!entry.is_object())
        throw Error(fieldError(file, field, "must be an object with 'version' and 'values'")
            + " (hint: {\"version\": 1, \"values\": {}})");
    for (auto it = entry.begin(); it != entry.end(); ++it)
        if (it.key() != "version" && it.key() != "values")
            throw Error(fieldError(file, field + "." + it.key(), "is not known")
                + " (hint: a section has 'version' and 'values')");
    const auto version = entry.find("version");
    if (version == entry.end() || !version->is_number_integer() || version->get<std::int64_t>() < 1
        || version->get<std::int64_t>() > 1000000)
        throw Error(fieldError(file, field + ".version", "must be an integer >= 1")
            + " (hint: use 1 for settings written by hand)");
    const auto values = entry.find("values");
    if (values == entry.end() || !values->is_object())
        throw Error(fieldError(file, field + ".values", "must be a JSON object")
            + " (hint: put the section's settings in { })");
    return { name, version->get<int>(), values->dump() };
}

} // namespace

const std::vector<std::string> &settingsSectionNames()
{
    static const std::vector<std::string> names = { "model", "dataset", "lora", "optimizer", "training" };
    return names;
}

void checkJsonObject(const std::string &text, const std::string &what)
{
    parseObject(text, what);
}

std::string rewriteSectionPaths(const SettingsSection &section, const std::string &folder, bool toStored)
{
    const std::string what = "settings section '" + section.name + "'";
    checkSectionName(section.name, "settings section");
    if (section.version < 1)
        throw Error(what + ": version must be >= 1, not " + std::to_string(section.version)
            + " (hint: start at 1 and raise it when the section's layout changes)");
    json value = parseObject(section.json, what);
    rewritePaths(value, folder, toStored);
    return value.dump();
}

std::string settingsDocument(const std::vector<SettingsSection> &sections)
{
    json document = { { "lorafit_settings", kSettingsDocumentVersion }, { "sections", json::object() } };
    for (const SettingsSection &section : sections)
        document["sections"][section.name]
            = { { "version", section.version }, { "values", json::parse(section.json) } };
    return document.dump(2) + "\n";
}

std::vector<SettingsSection> parseSettingsDocument(const std::string &text, const std::string &sourceName)
{
    const std::string file = "'" + sourceName + "'";
    const json document = parseObject(text, file);
    for (auto it = document.begin(); it != document.end(); ++it)
        if (it.key() != "lorafit_settings" && it.key() != "sections")
            throw Error(file + ": field '" + it.key()
                + "' is not known (hint: a settings file has 'lorafit_settings' and 'sections')");
    const auto version = document.find("lorafit_settings");
    if (version == document.end() || !version->is_number_integer())
        throw Error(file + ": field 'lorafit_settings' must be the integer " + std::to_string(kSettingsDocumentVersion)
            + " (hint: write it with 'lorafit-cli project export-settings')");
    if (version->get<std::int64_t>() > kSettingsDocumentVersion || version->get<std::int64_t>() < 1)
        throw Error(file + ": field 'lorafit_settings' is " + version->dump() + ", this build reads version "
            + std::to_string(kSettingsDocumentVersion) + " (hint: update Lorafit)");
    const auto sections = document.find("sections");
    if (sections == document.end() || !sections->is_object())
        throw Error(file
            + ": field 'sections' must be a JSON object (hint: {\"lora\": {\"version\": 1, "
              "\"values\": {...}}})");
    std::vector<SettingsSection> result;
    for (auto it = sections->begin(); it != sections->end(); ++it)
        result.push_back(parseSection(it.key(), it.value(), file));
    return result;
}

} // namespace engine

#include "engine/train/settingsoverride.h"

#include <nlohmann/json.hpp>

namespace engine {

namespace {

using json = nlohmann::json;

json valueOf(const std::string &text)
{
    json parsed = json::parse(text, nullptr, false);
    return parsed.is_discarded() ? json(text) : parsed;
}

} // namespace

std::string trimSpaces(const std::string &text)
{
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

Result<SettingAssignment> parseSettingAssignment(const std::string &text)
{
    const auto equals = text.find('=');
    const std::string name = trimSpaces(text.substr(0, equals));
    const auto dot = name.find('.');
    SettingAssignment assignment;
    if (equals != std::string::npos && dot != std::string::npos) {
        assignment.section = trimSpaces(name.substr(0, dot));
        assignment.key = trimSpaces(name.substr(dot + 1));
        assignment.value = trimSpaces(text.substr(equals + 1));
    }
    if (assignment.section.empty() || assignment.key.empty())
        return Status::failure("'" + text
            + "': expected SECTION.KEY=VALUE (hint: e.g. optimizer.loraplus_ratio=16 or training.max_steps=200)");
    if (assignment.value.empty())
        return Status::failure("'" + text + "': no value after '=' (hint: e.g. " + assignment.name()
            + "=1; write \"\" for an empty string)");
    return assignment;
}

std::string settingValueJson(const std::string &value)
{
    return valueOf(value).dump();
}

Result<std::string> applySettingOverrides(const std::string &document, const std::vector<SettingAssignment> &assignments)
{
    json root = json::parse(document, nullptr, false);
    if (!root.is_object())
        return Status::failure("the settings document is not a JSON object (hint: write one with 'lorafit-cli project "
                               "export-settings')");
    json &sections = root["sections"];
    if (sections.is_null())
        sections = json::object();
    if (!sections.is_object())
        return Status::failure("the settings document's 'sections' is not a JSON object (hint: {\"optimizer\": "
                               "{\"version\": 1, \"values\": {...}}})");
    for (const SettingAssignment &assignment : assignments) {
        json &section = sections[assignment.section];
        if (section.is_null())
            section = json{ { "version", 1 }, { "values", json::object() } };
        if (!section.is_object() || !section["values"].is_object())
            return Status::failure("'" + assignment.name() + "': section '" + assignment.section
                + "' of the settings document has no 'values' object (hint: {\"version\": 1, \"values\": {}})");
        section["values"][assignment.key] = valueOf(assignment.value);
    }
    return root.dump(2);
}

Result<std::string> applySettingOverrides(const std::string &document, const std::vector<std::string> &assignments)
{
    std::vector<SettingAssignment> parsed;
    for (const std::string &text : assignments) {
        Result<SettingAssignment> assignment = parseSettingAssignment(text);
        if (!assignment)
            return assignment.status();
        parsed.push_back(std::move(assignment).value());
    }
    return applySettingOverrides(document, parsed);
}

} // namespace engine

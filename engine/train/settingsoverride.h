// Settings overrides: "SECTION.KEY=VALUE" assignments (the CLI's --set, the
// sweep grid, the app's sweep dialog) applied to a settings document
// {"lorafit_settings": 1, "sections": {...}}. VALUE is JSON when it parses as
// JSON (1e-4, true, "x", [..]) and a string otherwise (auto, cosine). This
// only edits the document; whether a value suits its field is for
// RunSettings::fromDocument to say. Qt-free.
#pragma once

#include "engine/core/status.h"

#include <string>
#include <vector>

namespace engine {

struct SettingAssignment
{
    std::string section; // "optimizer"
    std::string key;     // "loraplus_ratio"
    std::string value;   // the text after '=', spaces around it removed

    std::string name() const { return section + "." + key; } // "optimizer.loraplus_ratio"
};

// `text` without spaces, tabs and line breaks at either end.
std::string trimSpaces(const std::string &text);

// Splits "SECTION.KEY=VALUE" (spaces around the parts allowed). Fails, naming
// the text, when the section, key or value is missing.
Result<SettingAssignment> parseSettingAssignment(const std::string &text);

// The JSON text a value stands for: itself when it is JSON, else a JSON string.
std::string settingValueJson(const std::string &value);

// `document` with each assignment applied in order (a later one wins); a
// section the document lacks is added with version 1. Fails, naming the
// document or the assignment, when either does not parse.
Result<std::string> applySettingOverrides(const std::string &document, const std::vector<SettingAssignment> &assignments);
Result<std::string> applySettingOverrides(const std::string &document, const std::vector<std::string> &assignments);

} // namespace engine

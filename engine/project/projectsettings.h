// Project settings as JSON (internal to engine/project): the names of the
// sections, validation of a section's JSON object, the rewriting of path
// values between stored (relative) and absolute form, and the settings
// document that `export-settings` writes and `import-settings` reads:
//   {"lorafit_settings": 1,
//    "sections": {"lora": {"version": 1, "values": {...}}, ...}}
// It does not know what a section's values mean; the typed configs do.
#pragma once

#include "engine/project/projecttypes.h"

#include <string>
#include <vector>

namespace engine {

// Version of the settings document layout above.
constexpr int kSettingsDocumentVersion = 1;

// "model", "dataset", "lora", "optimizer", "training".
const std::vector<std::string> &settingsSectionNames();

// Throws engine::Error naming `what` and the field if `json` is not a JSON object.
void checkJsonObject(const std::string &json, const std::string &what);

// Validates a section (known name, version >= 1, JSON object) and returns its
// JSON with paths in stored form (`toStored`) or absolute form (!toStored).
std::string rewriteSectionPaths(const SettingsSection &section, const std::string &folder, bool toStored);

// The settings document for these sections (paths as given).
std::string settingsDocument(const std::vector<SettingsSection> &sections);

// Parses and validates a settings document; errors name `sourceName` and the
// field, e.g. "'in.json': field 'sections.lora.version' must be an integer >= 1".
std::vector<SettingsSection> parseSettingsDocument(const std::string &text, const std::string &sourceName);

} // namespace engine

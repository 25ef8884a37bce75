// Where `train` and `sweep` get their settings and record their runs: a
// settings document (CONFIG.json, or the settings of a .lorafit project) with
// --set overrides, and the project opened for writing runs into it.
#pragma once

#include "engine/core/status.h"
#include "engine/project/projectstore.h"
#include "engine/train/runsettings.h"

#include <QString>
#include <QStringList>

#include <string>
#include <vector>

namespace cli {

// A settings document and how its relative paths resolve.
struct SettingsSource
{
    std::string document;   // {"lorafit_settings": 1, "sections": {...}}
    std::string source;     // the file it came from, for messages
    std::string baseFolder; // relative paths resolve here (empty for a project)
};

bool isProjectPath(const QString &input);

// Reads CONFIG.json, or the settings stored in a FILE.lorafit project.
engine::Result<SettingsSource> readSettingsSource(const QString &input);

// The settings of `input` with "SECTION.KEY=VALUE" overrides applied, parsed and checked.
// A malformed override is named as "--set '…': …".
engine::Result<engine::RunSettings> loadSettings(const SettingsSource &input, const QStringList &overrides);

// Opens a project to record runs in; fails when another Lorafit process holds it.
engine::Result<engine::ProjectStore> openProjectForRuns(const QString &path);

std::vector<std::string> toStdStrings(const QStringList &list);

} // namespace cli

#include "app/cli/settingsinput.h"

#include "engine/core/atomicfile.h"
#include "engine/train/settingsoverride.h"

#include <QFileInfo>

namespace cli {

bool isProjectPath(const QString &input)
{
    return input.endsWith(QLatin1String(".lorafit"));
}

engine::Result<SettingsSource> readSettingsSource(const QString &input)
{
    SettingsSource settings{ {}, input.toStdString(), {} };
    if (isProjectPath(input)) {
        auto store = engine::ProjectStore::open(settings.source, engine::OpenMode::ReadOnly);
        if (!store)
            return store.status();
        auto document = store->exportSettingsJson();
        if (!document)
            return document.status();
        settings.document = std::move(document).value();
        return settings;
    }
    const engine::Status read = engine::guard([&] { settings.document = engine::readFile(settings.source); });
    if (!read)
        return read;
    settings.baseFolder = QFileInfo(input).absolutePath().toStdString();
    return settings;
}

engine::Result<engine::RunSettings> loadSettings(const SettingsSource &input, const QStringList &overrides)
{
    const auto changed = engine::applySettingOverrides(input.document, toStdStrings(overrides));
    if (!changed)
        return engine::Status::failure("--set " + changed.message());
    return engine::RunSettings::fromDocument(changed.value(), input.source, input.baseFolder);
}

engine::Result<engine::ProjectStore> openProjectForRuns(const QString &path)
{
    auto opened = engine::ProjectStore::open(path.toStdString(), engine::OpenMode::ReadWrite);
    if (!opened)
        return opened.status();
    if (opened->isReadOnly())
        return engine::Status::failure("'" + path.toStdString()
            + "' is open in another Lorafit process (hint: close it there, or train from an exported CONFIG.json)");
    return opened;
}

std::vector<std::string> toStdStrings(const QStringList &list)
{
    std::vector<std::string> strings;
    for (const QString &text : list)
        strings.push_back(text.toStdString());
    return strings;
}

} // namespace cli

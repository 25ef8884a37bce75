#include "app/demoproject.h"

#include "app/projectdocument.h"
#include "engine/core/atomicfile.h"
#include "engine/core/status.h"
#include "engine/train/runsettings.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace app {

namespace {

bool isDemoFolder(const QString &folder)
{
    return !folder.isEmpty() && QFileInfo::exists(QDir(folder).filePath(QStringLiteral("demo.json")));
}

} // namespace

QString demoFolder()
{
    const QStringList candidates = {
        qEnvironmentVariable("LORAFIT_DEMO_DIR"),
        QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../share/lorafit/demo")),
        QStringLiteral(LORAFIT_SOURCE_DIR "/resources/demo"),
    };
    for (const QString &folder : candidates)
        if (isDemoFolder(folder))
            return QDir(folder).canonicalPath();
    return {};
}

QString defaultDemoProjectPath(DemoPreset preset)
{
    const QString data = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(data).filePath(preset == DemoPreset::Preference ? QStringLiteral("demo/DPO Demo.lorafit")
                                                                : QStringLiteral("demo/Demo.lorafit"));
}

QString openDemoProject(ProjectDocument &document, const QString &projectPath, DemoPreset preset)
{
    if (QFileInfo::exists(projectPath))
        return document.open(projectPath);
    const QString folder = demoFolder();
    if (folder.isEmpty())
        return QCoreApplication::translate("app", "The demo files were not found (looked for share/lorafit/demo next to "
                                                  "the program; hint: set LORAFIT_DEMO_DIR to the resources/demo folder).");
    const QString settingsFile = QDir(folder).filePath(
        preset == DemoPreset::Preference ? QStringLiteral("dpo.json") : QStringLiteral("demo.json"));
    std::string text;
    const engine::Status read = engine::guard([&] { text = engine::readFile(settingsFile.toStdString()); });
    if (!read)
        return QString::fromStdString(read.message());
    auto settings = engine::RunSettings::fromDocument(text, settingsFile.toStdString(), folder.toStdString());
    if (!settings)
        return QString::fromStdString(settings.message());
    if (!QDir().mkpath(QFileInfo(projectPath).absolutePath()))
        return QCoreApplication::translate("app", "Cannot create the folder of '%1'.").arg(projectPath);
    document.newProject();
    document.setSettings(settings.value());
    return document.saveAs(projectPath);
}

QString demoHint(DemoPreset preset)
{
    if (preset == DemoPreset::Preference)
        return QCoreApplication::translate("app", "DPO demo project: press Start (Ctrl+R) to teach the demo model to "
                                                  "prefer modern answers over archaic ones; watch the rewards and the "
                                                  "preference accuracy beside the loss.");
    return QCoreApplication::translate("app", "Demo project: press Start (Ctrl+R) to teach the demo model modern "
                                              "English with LoRA+; it takes a few minutes on a CPU.");
}

} // namespace app

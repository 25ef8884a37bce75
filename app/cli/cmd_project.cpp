// lorafit-cli project: create a project file, show its runs, and move its
// settings in and out as JSON:
//   project create FILE.lorafit
//   project show FILE.lorafit
//   project export-settings FILE.lorafit [-o OUT.json]
//   project import-settings FILE.lorafit IN.json   (creates FILE if missing)
#include "app/cli/command.h"

#include "app/qtstrings.h"

#include "engine/core/atomicfile.h"
#include "engine/core/status.h"
#include "engine/project/projectstore.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace {

using app::fromStd;

// Parses "<name> FILE [more positionals]"; returns the positionals or an empty list after printing why.
QStringList positionals(QCommandLineParser &parser, const QStringList &arguments, const QStringList &names)
{
    parser.addHelpOption();
    if (cli::parseArguments(parser, arguments))
        return {};
    const QStringList given = parser.positionalArguments();
    if (given.size() != names.size()) {
        cli::fail(QStringLiteral("expected %1 (hint: '%2 --help')").arg(names.join(QLatin1Char(' ')), arguments[0]));
        return {};
    }
    return given;
}

int runCreate(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Create an empty Lorafit project file."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("the .lorafit file to create"));
    const QStringList files = positionals(parser, arguments, { QStringLiteral("FILE") });
    if (files.isEmpty())
        return cli::kExitUsage;
    const auto store = engine::ProjectStore::create(files[0].toStdString());
    if (!store)
        return cli::fail(fromStd(store.message()));
    cli::printLine(QStringLiteral("created %1").arg(fromStd(store->path())));
    return cli::kExitOk;
}

QString finalMetricsLine(const std::string &json)
{
    const QJsonObject metrics = QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
    QStringList parts;
    for (auto it = metrics.begin(); it != metrics.end(); ++it)
        parts << QStringLiteral("%1=%2").arg(it.key(),
            it.value().isDouble() ? QString::number(it.value().toDouble()) : it.value().toVariant().toString());
    return parts.join(QStringLiteral(", "));
}

void printRun(const engine::ProjectStore &store, const engine::RunInfo &run)
{
    const QString steps = run.lastStep ? QStringLiteral("last step %1").arg(*run.lastStep) : QStringLiteral("no steps");
    cli::printLine(
        QStringLiteral("  #%1  %2  [%3]  %4  device %5  started %6%7")
            .arg(run.id)
            .arg(fromStd(run.name), fromStd(engine::runStatusName(run.status)), steps,
                fromStd(run.device.empty() ? "-" : run.device), fromStd(engine::formatUtcTime(run.startedAtMs)),
                run.endedAtMs ? QStringLiteral(", ended %1").arg(fromStd(engine::formatUtcTime(*run.endedAtMs)))
                              : QString()));
    const QString metrics = finalMetricsLine(run.finalMetricsJson);
    if (!metrics.isEmpty())
        cli::printLine(QStringLiteral("      final: %1").arg(metrics));
    const auto checkpoint = store.lastCheckpoint(run.id);
    if (checkpoint && checkpoint.value())
        cli::printLine(QStringLiteral("      last checkpoint: step %1 (%2)")
                           .arg(checkpoint.value()->step)
                           .arg(fromStd(checkpoint.value()->path)));
    if (!run.notes.empty())
        cli::printLine(QStringLiteral("      notes: %1").arg(fromStd(run.notes)));
}

int runShow(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Show a project's settings sections and runs (never writes)."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("the .lorafit file"));
    const QStringList files = positionals(parser, arguments, { QStringLiteral("FILE") });
    if (files.isEmpty())
        return cli::kExitUsage;
    const auto store = engine::ProjectStore::open(files[0].toStdString(), engine::OpenMode::ReadOnly);
    if (!store)
        return cli::fail(fromStd(store.message()));
    cli::printLine(QStringLiteral("project %1").arg(fromStd(store->path())));
    const auto sections = store->settings();
    const auto runs = store->runs();
    if (!sections || !runs)
        return cli::fail(fromStd(!sections ? sections.message() : runs.message()));
    QStringList names;
    for (const engine::SettingsSection &section : sections.value())
        names << QStringLiteral("%1 (v%2)").arg(fromStd(section.name)).arg(section.version);
    cli::printLine(QStringLiteral("settings: %1").arg(names.isEmpty() ? QStringLiteral("none") : names.join(", ")));
    cli::printLine(QStringLiteral("runs: %1").arg(runs->size()));
    for (const engine::RunInfo &run : runs.value())
        printRun(store.value(), run);
    return cli::kExitOk;
}

int runExportSettings(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Write a project's settings as JSON (paths absolute)."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("the .lorafit file"));
    const QCommandLineOption output({ QStringLiteral("o"), QStringLiteral("output") },
        QStringLiteral("write to this file instead of standard output"), QStringLiteral("OUT.json"));
    parser.addOption(output);
    const QStringList files = positionals(parser, arguments, { QStringLiteral("FILE") });
    if (files.isEmpty())
        return cli::kExitUsage;
    const auto store = engine::ProjectStore::open(files[0].toStdString(), engine::OpenMode::ReadOnly);
    if (!store)
        return cli::fail(fromStd(store.message()));
    const auto document = store->exportSettingsJson();
    if (!document)
        return cli::fail(fromStd(document.message()));
    if (!parser.isSet(output)) {
        cli::printLine(fromStd(document.value()).trimmed());
        return cli::kExitOk;
    }
    const engine::Status written
        = engine::guard([&] { engine::writeFileAtomically(parser.value(output).toStdString(), document.value()); });
    return written ? cli::kExitOk : cli::fail(fromStd(written.message()));
}

int runImportSettings(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Replace a project's settings sections with those of a JSON file (creates the project if "
                       "missing). The JSON is checked before anything is written."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("the .lorafit file"));
    parser.addPositionalArgument(QStringLiteral("IN.json"), QStringLiteral("settings as written by export-settings"));
    const QStringList files = positionals(parser, arguments, { QStringLiteral("FILE"), QStringLiteral("IN.json") });
    if (files.isEmpty())
        return cli::kExitUsage;
    const auto text = engine::guard([&] { return engine::readFile(files[1].toStdString()); });
    if (!text)
        return cli::fail(fromStd(text.message()));
    const std::string path = files[0].toStdString();
    auto store = QFileInfo::exists(files[0]) ? engine::ProjectStore::open(path) : engine::ProjectStore::create(path);
    if (!store)
        return cli::fail(fromStd(store.message()));
    const engine::Status imported = store->importSettingsJson(text.value(), files[1].toStdString());
    if (!imported)
        return cli::fail(fromStd(imported.message()));
    cli::printLine(QStringLiteral("imported settings into %1").arg(fromStd(store->path())));
    return cli::kExitOk;
}

int runProject(const QStringList &arguments)
{
    struct Sub
    {
        const char *name;
        int (*run)(const QStringList &);
    };
    static const Sub subs[] = { { "create", runCreate }, { "show", runShow }, { "export-settings", runExportSettings },
        { "import-settings", runImportSettings } };
    const QString which = arguments.value(1);
    for (const Sub &sub : subs) {
        if (which == QLatin1String(sub.name)) {
            QStringList rest = arguments.mid(1);
            rest[0] = QStringLiteral("%1 %2").arg(arguments[0], which);
            return sub.run(rest);
        }
    }
    if (which == QLatin1String("--help") || which == QLatin1String("-h")) {
        cli::printLine(QStringLiteral("Usage: %1 create|show|export-settings|import-settings FILE.lorafit ...\n"
                                      "Run '%1 <subcommand> --help' for its options.")
                           .arg(arguments[0]));
        return cli::kExitOk;
    }
    cli::fail(QStringLiteral("unknown subcommand '%1' (hint: use create, show, export-settings or import-settings)")
                  .arg(which));
    return cli::kExitUsage;
}

const cli::CommandRegistration registration(
    { "project", "create a project, show its runs, export/import settings", runProject });

} // namespace

// lorafit-cli: the headless front end. Dispatches to the registered commands.
#include "app/appsetup.h"
#include "app/cli/command.h"
#include "engine/core/runtime.h"

#include <QCoreApplication>

namespace {

void printUsage()
{
    cli::printLine(QStringLiteral("Usage: lorafit-cli <command> [options]\n"
                                  "       lorafit-cli --version\n\nCommands:"));
    for (const cli::Command &command : cli::registeredCommands())
        cli::printLine(QStringLiteral("  %1%2").arg(QString::fromLatin1(command.name), -14)
                           .arg(QString::fromLatin1(command.summary)));
    cli::printLine(QStringLiteral("\nRun 'lorafit-cli <command> --help' for a command's options."));
}

} // namespace

int main(int argc, char *argv[])
{
    engine::useOneHeap(); // before Qt or the trainer start threads
    QCoreApplication application(argc, argv);
    app::setUpApplication(QStringLiteral("lorafit-cli"));

    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() < 2 || arguments[1] == QLatin1String("help") || arguments[1] == QLatin1String("--help")
        || arguments[1] == QLatin1String("-h")) {
        printUsage();
        return arguments.size() < 2 ? cli::kExitUsage : cli::kExitOk;
    }
    if (arguments[1] == QLatin1String("--version") || arguments[1] == QLatin1String("-v")) {
        cli::printLine(app::versionLine(QStringLiteral("lorafit-cli")));
        return cli::kExitOk;
    }
    for (const cli::Command &command : cli::registeredCommands()) {
        if (arguments[1] == QLatin1String(command.name)) {
            QStringList rest = arguments.mid(1);
            rest[0] = QStringLiteral("lorafit-cli %1").arg(arguments[1]);
            return command.run(rest);
        }
    }
    cli::fail(QStringLiteral("unknown command '%1' (hint: 'lorafit-cli help' lists the commands)").arg(arguments[1]));
    return cli::kExitUsage;
}

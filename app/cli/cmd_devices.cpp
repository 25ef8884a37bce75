// lorafit-cli devices: the compute devices and thread count the engine will use.
#include "app/appsetup.h"
#include "app/cli/command.h"

#include "engine/core/runtime.h"

#include <QCommandLineParser>

namespace {

int runDevices(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("List the devices Lorafit can train on."));
    parser.addHelpOption();
    if (const std::optional<int> code = cli::parseArguments(parser, arguments))
        return *code;

    const engine::RuntimeInfo info = engine::runtimeInfo();
    cli::printLine(QStringLiteral("LibTorch %1, CUDA in this build: %2, intra-op threads: %3")
                       .arg(QString::fromStdString(info.torchVersion),
                            info.cudaBuilt ? QStringLiteral("yes") : QStringLiteral("no"))
                       .arg(info.threads));
    for (const QString &line : app::blasLines())
        cli::printLine(line);
    for (const engine::DeviceInfo &device : info.devices)
        cli::printLine(QStringLiteral("  %1  %2").arg(QString::fromStdString(device.id), -8)
                           .arg(QString::fromStdString(device.name)));
    return cli::kExitOk;
}

const cli::CommandRegistration registration({"devices", "list compute devices and threads", runDevices});

} // namespace

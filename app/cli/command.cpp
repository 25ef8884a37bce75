#include "app/cli/command.h"

#include <QTextStream>

#include <algorithm>
#include <cstdio>

namespace cli {

namespace {

std::vector<Command> &registry()
{
    static std::vector<Command> commands;
    return commands;
}

} // namespace

CommandRegistration::CommandRegistration(Command command)
{
    registry().push_back(std::move(command));
}

std::vector<Command> registeredCommands()
{
    std::vector<Command> commands = registry();
    std::sort(commands.begin(), commands.end(),
              [](const Command &a, const Command &b) { return qstrcmp(a.name, b.name) < 0; });
    return commands;
}

int fail(const QString &message)
{
    const QByteArray text = QStringLiteral("lorafit-cli: error: %1\n").arg(message).toUtf8();
    std::fwrite(text.constData(), 1, static_cast<size_t>(text.size()), stderr);
    std::fflush(stderr);
    return kExitFailure;
}

void printLine(const QString &text)
{
    const QByteArray bytes = text.toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

} // namespace cli

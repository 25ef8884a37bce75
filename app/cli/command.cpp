#include "app/cli/command.h"

#include <QCommandLineParser>
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

std::optional<int> parseArguments(QCommandLineParser &parser, const QStringList &arguments)
{
    if (parser.parse(arguments)) {
        parser.process(arguments); // --help, --help-all and --version
        return std::nullopt;
    }
    const QString hint = QStringLiteral(" (hint: '%1 --help')").arg(arguments.value(0, QStringLiteral("lorafit-cli")));
    const QStringList unknown = parser.unknownOptionNames();
    QString message;
    if (!unknown.isEmpty()) {
        // As it was typed: "--name" (also "--name=value"), else the short form "-n".
        const QString &name = unknown.front();
        const QString longForm = QStringLiteral("--") + name;
        const bool typedLong = std::any_of(arguments.begin(), arguments.end(), [&](const QString &argument) {
            return argument == longForm || argument.startsWith(longForm + QLatin1Char('='));
        });
        message = QStringLiteral("unknown option '%1'").arg(typedLong ? longForm : QStringLiteral("-") + name);
    } else {
        message = parser.errorText();
        if (message.endsWith(QLatin1Char('.')))
            message.chop(1);
        if (!message.isEmpty())
            message[0] = message[0].toLower();
    }
    fail(message + hint);
    return kExitUsage;
}

void printLine(const QString &text)
{
    const QByteArray bytes = text.toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

} // namespace cli

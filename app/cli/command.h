// Sub-commands of lorafit-cli. Each lives in its own cmd_<name>.cpp in this
// folder and registers itself with a static CommandRegistration, so adding a
// command needs no edit to main.cpp.
#pragma once

#include <QStringList>

#include <functional>
#include <optional>
#include <vector>

class QCommandLineParser;

namespace cli {

// Exit codes shared by all commands.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;   // the work failed; a message was printed
constexpr int kExitUsage = 2;     // the command line was wrong
constexpr int kExitCancelled = 130; // stopped by the user (Ctrl-C)

struct Command
{
    const char *name;    // e.g. "train"
    const char *summary; // one line for `lorafit-cli help`
    // Receives the arguments with argv[0] set to "lorafit-cli <name>".
    std::function<int(const QStringList &arguments)> run;
};

struct CommandRegistration
{
    explicit CommandRegistration(Command command);
};

// All registered commands, sorted by name.
std::vector<Command> registeredCommands();

// Prints "lorafit-cli: error: <message>" to stderr and returns kExitFailure.
int fail(const QString &message);

// QCommandLineParser::process() with lorafit-cli's usage errors: returns
// nullopt when the command should go on (--help and --version print and exit
// as process() does); otherwise prints "lorafit-cli: error: unknown option
// '--x' (hint: 'lorafit-cli CMD --help')" (or the parser's other complaint)
// and returns kExitUsage.
std::optional<int> parseArguments(QCommandLineParser &parser, const QStringList &arguments);

// Writes text (plus a newline) to stdout, UTF-8.
void printLine(const QString &text);

} // namespace cli

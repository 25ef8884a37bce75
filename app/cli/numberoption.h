// Reading numeric command-line options with range checks and messages that
// name the option, for the commands that take many of them (generate, eval).
#pragma once

#include <QCommandLineParser>
#include <QString>

namespace cli {

// If `name` is set, parses it into `value` (left unchanged otherwise).
// Returns false and sets `error` when the text is not a number in [low, high].
bool readInteger(const QCommandLineParser &parser, const QString &name, qint64 low, qint64 high, qint64 &value,
                 QString &error);
bool readUnsigned(const QCommandLineParser &parser, const QString &name, quint64 &value, QString &error);
bool readReal(const QCommandLineParser &parser, const QString &name, double &value, QString &error);

} // namespace cli

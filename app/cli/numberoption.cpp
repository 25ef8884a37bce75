#include "app/cli/numberoption.h"

namespace cli {

bool readInteger(const QCommandLineParser &parser, const QString &name, qint64 low, qint64 high, qint64 &value,
                 QString &error)
{
    if (!parser.isSet(name))
        return true;
    bool ok = false;
    const qint64 parsed = parser.value(name).toLongLong(&ok);
    if (!ok || parsed < low || parsed > high) {
        error = QStringLiteral("--%1 '%2' is not a whole number from %3 to %4")
                    .arg(name, parser.value(name)).arg(low).arg(high);
        return false;
    }
    value = parsed;
    return true;
}

bool readUnsigned(const QCommandLineParser &parser, const QString &name, quint64 &value, QString &error)
{
    if (!parser.isSet(name))
        return true;
    bool ok = false;
    const quint64 parsed = parser.value(name).toULongLong(&ok);
    if (!ok) {
        error = QStringLiteral("--%1 '%2' is not a non-negative whole number").arg(name, parser.value(name));
        return false;
    }
    value = parsed;
    return true;
}

bool readReal(const QCommandLineParser &parser, const QString &name, double &value, QString &error)
{
    if (!parser.isSet(name))
        return true;
    bool ok = false;
    const double parsed = parser.value(name).toDouble(&ok);
    if (!ok) {
        error = QStringLiteral("--%1 '%2' is not a number").arg(name, parser.value(name));
        return false;
    }
    value = parsed;
    return true;
}

} // namespace cli

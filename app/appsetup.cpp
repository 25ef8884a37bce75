#include "app/appsetup.h"

#include "engine/core/runtime.h"

#include <QCoreApplication>
#include <QStringList>

namespace app {

int setUpApplication(const QString &applicationName)
{
    QCoreApplication::setOrganizationName(QStringLiteral("Lorafit"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("lorafit.org"));
    QCoreApplication::setApplicationName(applicationName);
    QCoreApplication::setApplicationVersion(QString::fromLatin1(engine::versionString()));
    return engine::initRuntime();
}

QString versionLine(const QString &applicationName)
{
    const engine::RuntimeInfo info = engine::runtimeInfo();
    QStringList devices;
    for (const auto &device : info.devices)
        devices << QString::fromStdString(device.id);
    return QStringLiteral("%1 %2 (LibTorch %3, %4, %5 threads, devices: %6)")
        .arg(applicationName, QString::fromLatin1(engine::versionString()),
             QString::fromStdString(info.torchVersion),
             info.blas.empty() ? QStringLiteral("BLAS unknown") : QString::fromStdString(info.blas))
        .arg(info.threads)
        .arg(devices.join(QStringLiteral(", ")));
}

QStringList blasLines()
{
    const engine::RuntimeInfo info = engine::runtimeInfo();
    QStringList lines;
    if (!info.blas.empty())
        lines << QStringLiteral("BLAS: %1").arg(QString::fromStdString(info.blas));
    if (!info.blasNote.empty())
        lines << QStringLiteral("note: %1").arg(QString::fromStdString(info.blasNote));
    if (!info.blasWarning.empty())
        lines << QStringLiteral("warning: %1").arg(QString::fromStdString(info.blasWarning));
    return lines;
}

} // namespace app

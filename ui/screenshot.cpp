#include "ui/screenshot.h"

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QPixmap>
#include <QSaveFile>
#include <QWidget>

namespace ui {

QString saveScreenshot(QWidget *widget, const QString &path)
{
    if (!widget->isVisible())
        widget->show();
    for (int i = 0; i < 5; ++i)
        QApplication::processEvents();

    const QPixmap pixmap = widget->grab();
    if (pixmap.isNull())
        return QStringLiteral("could not render the window for '%1'").arg(path);

    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return QStringLiteral("cannot create the folder '%1'").arg(info.absolutePath());
    QSaveFile file(path); // temporary name, renamed on commit: never half a PNG
    if (!file.open(QIODevice::WriteOnly))
        return QStringLiteral("cannot write '%1': %2").arg(path, file.errorString());
    if (!pixmap.save(&file, "PNG") || !file.commit())
        return QStringLiteral("cannot write '%1': %2").arg(path, file.errorString());
    return {};
}

} // namespace ui

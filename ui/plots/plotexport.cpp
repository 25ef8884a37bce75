#include "ui/plots/plotexport.h"

#include <qcustomplot.h>

#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QSaveFile>
#include <QStandardPaths>
#include <QSvgGenerator>
#include <QTemporaryDir>

namespace ui {

namespace {

QString saveSvg(QCustomPlot *plot, QSize size, QIODevice *device)
{
    QSvgGenerator generator;
    generator.setOutputDevice(device);
    generator.setSize(size);
    generator.setViewBox(QRect(QPoint(0, 0), size));
    generator.setTitle(plot->objectName());
    QCPPainter painter;
    if (!painter.begin(&generator))
        return QStringLiteral("cannot start the SVG writer");
    plot->toPainter(&painter, size.width(), size.height());
    painter.end();
    return {};
}

// QCustomPlot writes PNG and PDF to a path; write to a private temporary file,
// then copy into a QSaveFile so the target appears whole or not at all.
QString renderToDevice(QCustomPlot *plot, const QString &suffix, QSize size, QIODevice *device)
{
    if (suffix == QLatin1String("svg"))
        return saveSvg(plot, size.isValid() ? size : plot->size(), device);
    QTemporaryDir dir;
    const QString temporary = dir.filePath(QStringLiteral("plot.") + suffix);
    const int width = size.isValid() ? size.width() : 0, height = size.isValid() ? size.height() : 0;
    const bool ok = suffix == QLatin1String("pdf") ? plot->savePdf(temporary, width, height)
                                                   : plot->savePng(temporary, width, height, 2.0);
    QFile file(temporary);
    if (!ok || !file.open(QIODevice::ReadOnly))
        return QStringLiteral("the plot could not be rendered");
    device->write(file.readAll());
    return {};
}

} // namespace

QString savePlot(QCustomPlot *plot, const QString &path, QSize size)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") && suffix != QLatin1String("pdf"))
        return QStringLiteral("'%1': unknown format (hint: use .png, .svg or .pdf)").arg(path);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return QStringLiteral("cannot write '%1': %2").arg(path, file.errorString());
    const QString error = renderToDevice(plot, suffix, size, &file);
    if (!error.isEmpty()) {
        file.cancelWriting();
        return QStringLiteral("'%1': %2").arg(path, error);
    }
    if (!file.commit())
        return QStringLiteral("cannot write '%1': %2").arg(path, file.errorString());
    return {};
}

void savePlotInteractively(QCustomPlot *plot, QWidget *parent, const QString &suggestedName)
{
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    QString name = suggestedName;
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("-"));
    const QString path = QFileDialog::getSaveFileName(
        parent, QObject::tr("Save Plot"), folder + QLatin1Char('/') + name + QStringLiteral(".png"),
        QObject::tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"));
    if (path.isEmpty())
        return;
    const QString error = savePlot(plot, path);
    if (!error.isEmpty())
        QMessageBox::warning(parent, QObject::tr("Save Plot"), error);
}

} // namespace ui

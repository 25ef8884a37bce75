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

QString saveSvg(QCustomPlot *plot, QIODevice *device)
{
    QSvgGenerator generator;
    generator.setOutputDevice(device);
    generator.setSize(plot->size());
    generator.setViewBox(QRect(QPoint(0, 0), plot->size()));
    generator.setTitle(plot->objectName());
    QCPPainter painter;
    if (!painter.begin(&generator))
        return QStringLiteral("cannot start the SVG writer");
    plot->toPainter(&painter, plot->width(), plot->height());
    painter.end();
    return {};
}

// QCustomPlot writes PNG and PDF to a path; write to a private temporary file,
// then copy into a QSaveFile so the target appears whole or not at all.
QString renderToDevice(QCustomPlot *plot, const QString &suffix, QIODevice *device)
{
    if (suffix == QLatin1String("svg"))
        return saveSvg(plot, device);
    QTemporaryDir dir;
    const QString temporary = dir.filePath(QStringLiteral("plot.") + suffix);
    const bool ok = suffix == QLatin1String("pdf") ? plot->savePdf(temporary) : plot->savePng(temporary, 0, 0, 2.0);
    QFile file(temporary);
    if (!ok || !file.open(QIODevice::ReadOnly))
        return QStringLiteral("the plot could not be rendered");
    device->write(file.readAll());
    return {};
}

} // namespace

QString savePlot(QCustomPlot *plot, const QString &path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") && suffix != QLatin1String("pdf"))
        return QStringLiteral("'%1': unknown format (hint: use .png, .svg or .pdf)").arg(path);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return QStringLiteral("cannot write '%1': %2").arg(path, file.errorString());
    const QString error = renderToDevice(plot, suffix, &file);
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

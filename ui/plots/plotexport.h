// Saving a QCustomPlot as an image or document, chosen by the file suffix:
// .png (raster, 2× scale), .svg (vector, QtSvg) or .pdf (vector). Written to a
// temporary name and renamed, so a failed save never leaves half a file.
#pragma once

#include <QSize>
#include <QString>

class QCustomPlot;
class QWidget;

namespace ui {

// At `size` (logical pixels; PNG at twice that), or the plot's own size when
// invalid. Returns an empty string, or a message naming the file.
QString savePlot(QCustomPlot *plot, const QString &path, QSize size = {});

// Asks for a file name (PNG, SVG or PDF) and saves; errors are shown in a message box.
void savePlotInteractively(QCustomPlot *plot, QWidget *parent, const QString &suggestedName);

} // namespace ui

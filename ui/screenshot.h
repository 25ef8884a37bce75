// Renders a widget (normally the main window) into a PNG file, for the docs
// and for GUI tests. Works under the offscreen platform and under Xvfb.
#pragma once

#include <QString>

class QWidget;

namespace ui {

// Shows `widget` if hidden, lets pending layout and paint events run, then
// writes the rendered widget to `path` (PNG). Returns an empty string on
// success, else a message naming the file.
QString saveScreenshot(QWidget *widget, const QString &path);

} // namespace ui

// Light and dark palettes. "System" follows the desktop: the colour scheme Qt
// reports (Qt ≥ 6.5), else Windows' AppsUseLightTheme or a GTK ':dark' theme,
// else the platform palette as it is. Dark uses the Fusion style, whose
// drawing follows the palette on every platform.
#pragma once

#include <QString>

namespace ui {

enum class Theme { System, Light, Dark };

bool systemPrefersDark();
// Applies the theme to the running QApplication and remembers it in QSettings.
void applyTheme(Theme theme);
Theme savedTheme();

} // namespace ui

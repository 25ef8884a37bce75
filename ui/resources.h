// Registers the compiled-in resources (icons) of the static lf_ui library.
#pragma once

namespace ui {

// Safe to call more than once; MainWindow calls it.
void initResources();

} // namespace ui

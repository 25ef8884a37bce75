// The memory the running process uses (resident set), for the status bar.
// Linux reads /proc/self/status; Windows asks the process API; elsewhere the
// figure is unknown. Cheap enough to call once a second.
#pragma once

#include <QtGlobal>

namespace app {

// Resident memory in bytes, or -1 when the platform does not say.
qint64 residentMemoryBytes();

} // namespace app

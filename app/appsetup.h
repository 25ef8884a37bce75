// Start-up shared by both executables: application identity (used by QSettings
// and --version) and the engine runtime (thread count).
#pragma once

#include <QString>

namespace app {

// Sets organisation/application name and version on the running
// Q(Core)Application and initialises the engine runtime. Call right after the
// application object is constructed. Returns the intra-op thread count.
int setUpApplication(const QString &applicationName);

// "lorafit 0.1.0 (LibTorch 1.13.1, 2 threads, devices: cpu)"
QString versionLine(const QString &applicationName);

} // namespace app

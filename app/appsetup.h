// Start-up shared by both executables: application identity (used by QSettings
// and --version) and the engine runtime (thread count).
#pragma once

#include <QString>
#include <QStringList>

namespace app {

// Sets organisation/application name and version on the running
// Q(Core)Application and initialises the engine runtime. Call right after the
// application object is constructed. Returns the intra-op thread count.
int setUpApplication(const QString &applicationName);

// "lorafit 0.1.0 (LibTorch 1.13.1, 2 threads, devices: cpu)"
QString versionLine(const QString &applicationName);

// What runs the CPU's matrix products, for `devices` and `bench`:
// "BLAS: OpenBLAS 0.3.21 (OpenMP, SkylakeX kernels)", then a "note: " line
// when Lorafit chose those kernels and a "warning: " line when the BLAS is
// known to slow training down.
QStringList blasLines();

} // namespace app

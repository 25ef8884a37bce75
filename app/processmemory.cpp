#include "app/processmemory.h"

#include <QFile>

#ifdef Q_OS_WIN
#include <windows.h>
#include <psapi.h>
#endif

namespace app {

qint64 residentMemoryBytes()
{
#if defined(Q_OS_LINUX)
    QFile file(QStringLiteral("/proc/self/status"));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : file.readAll().split('\n'))
        if (line.startsWith("VmRSS:")) // "VmRSS:    123456 kB"
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    return -1;
#elif defined(Q_OS_WIN)
    PROCESS_MEMORY_COUNTERS counters;
    if (GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof(counters)))
        return qint64(counters.WorkingSetSize);
    return -1;
#else
    return -1;
#endif
}

} // namespace app

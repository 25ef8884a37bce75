// The one conversion from the engine's std::string (UTF-8) to QString that
// app/ and ui/ use. Header-only: a single inline function.
#pragma once

#include <QString>

#include <string>

namespace app {

inline QString fromStd(const std::string &text)
{
    return QString::fromStdString(text);
}

} // namespace app

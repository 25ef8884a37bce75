#include "engine/project/projecttypes.h"

#include <chrono>
#include <ctime>

namespace engine {

namespace {

constexpr struct
{
    RunStatus status;
    const char *name;
} kStatusNames[] = {
    { RunStatus::Running, "running" },
    { RunStatus::Finished, "finished" },
    { RunStatus::Stopped, "stopped" },
    { RunStatus::Failed, "failed" },
    { RunStatus::Interrupted, "interrupted" },
};

} // namespace

const char *runStatusName(RunStatus status)
{
    for (const auto &entry : kStatusNames)
        if (entry.status == status)
            return entry.name;
    return "unknown";
}

std::optional<RunStatus> runStatusFromName(const std::string &name)
{
    for (const auto &entry : kStatusNames)
        if (name == entry.name)
            return entry.status;
    return std::nullopt;
}

std::int64_t currentTimeMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string formatUtcTime(std::int64_t ms)
{
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc {};
#ifdef _WIN32
    gmtime_s(&utc, &seconds);
#else
    gmtime_r(&seconds, &utc);
#endif
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
    return text;
}

} // namespace engine

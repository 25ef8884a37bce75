#include "engine/train/runfolder.h"

#include <ctime>
#include <filesystem>
#include <limits>
#include <system_error>

namespace engine {

namespace fs = std::filesystem;

std::optional<std::int64_t> checkpointStep(const std::string &folderName)
{
    static const std::string kPrefix = "checkpoint-";
    if (folderName.size() <= kPrefix.size() || folderName.compare(0, kPrefix.size(), kPrefix) != 0)
        return std::nullopt;
    std::int64_t step = 0;
    for (std::size_t i = kPrefix.size(); i < folderName.size(); ++i) {
        const char c = folderName[i];
        if (c < '0' || c > '9')
            return std::nullopt;
        if (step > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10)
            return std::nullopt; // more digits than any real step count
        step = step * 10 + (c - '0');
    }
    return step;
}

std::string newestCheckpoint(const std::string &runFolder)
{
    std::error_code error;
    fs::directory_iterator entries(runFolder, error);
    if (error)
        return {};
    std::string newest;
    std::int64_t newestStep = -1;
    for (const fs::directory_entry &entry : entries) {
        const std::optional<std::int64_t> step = checkpointStep(entry.path().filename().string());
        if (step && *step > newestStep && entry.is_directory(error)) {
            newestStep = *step;
            newest = entry.path().string();
        }
    }
    return newest;
}

std::string newStampedFolder(const std::string &parent, const std::string &prefix)
{
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
#ifdef _WIN32
    gmtime_s(&utc, &now);
#else
    gmtime_r(&now, &utc);
#endif
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "-%Y%m%d-%H%M%S", &utc);
    const fs::path base = fs::path(parent) / (prefix + stamp);
    fs::path candidate = base;
    for (int n = 2; fs::exists(candidate); ++n)
        candidate = base.string() + "-" + std::to_string(n);
    return candidate.string();
}

} // namespace engine

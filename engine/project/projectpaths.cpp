#include "engine/project/projectpaths.h"

#include <filesystem>

namespace engine {

namespace fs = std::filesystem;

namespace {

bool escapesFolder(const fs::path &relative)
{
    if (relative.empty())
        return true;
    const auto first = relative.begin();
    return first != relative.end() && *first == "..";
}

} // namespace

std::string projectFolderOf(const std::string &projectPath)
{
    return fs::absolute(fs::path(projectPath)).lexically_normal().parent_path().generic_string();
}

std::string storedProjectPath(const std::string &folder, const std::string &path)
{
    if (path.empty())
        return path;
    const fs::path base = fs::path(folder).lexically_normal();
    const fs::path absolute = (base / fs::path(path)).lexically_normal();
    const fs::path relative = absolute.lexically_relative(base);
    if (escapesFolder(relative))
        return absolute.generic_string();
    return relative.generic_string();
}

std::string absoluteProjectPath(const std::string &folder, const std::string &stored)
{
    if (stored.empty())
        return stored;
    return (fs::path(folder) / fs::path(stored)).lexically_normal().generic_string();
}

} // namespace engine

// Paths inside a project (internal to engine/project): a path under the
// project file's folder is stored relative to it (with '/' separators), so the
// folder can be moved or copied to another machine; other paths are stored
// absolute. Reading turns stored paths back into absolute ones. Purely lexical:
// it does not touch the file system or resolve symbolic links.
#pragma once

#include <string>

namespace engine {

// `path` as stored in a project whose file lives in `folder` (absolute).
// A relative `path` is taken as relative to `folder`.
std::string storedProjectPath(const std::string &folder, const std::string &path);

// The absolute path for a stored path.
std::string absoluteProjectPath(const std::string &folder, const std::string &stored);

// The absolute folder that holds the project file `projectPath`.
std::string projectFolderOf(const std::string &projectPath);

} // namespace engine

// Run folders on disk: finding the newest checkpoint-<step> folder of a run
// (what `--resume last` continues from) and naming new time-stamped folders
// for runs and sweeps. Qt-free and Torch-free; reads folder listings and
// creates nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace engine {

// The step of a checkpoint folder name: "checkpoint-120" → 120. Anything else
// ("checkpoint-120.tmp", ".checkpoint-3.partial", "checkpoint-best",
// "checkpoint-") → nullopt.
std::optional<std::int64_t> checkpointStep(const std::string &folderName);

// The checkpoint-<step> folder of `runFolder` with the highest step (compared
// as numbers: 1000 is newer than 999), or "" when there is none or the folder
// cannot be read. Files and other names are ignored.
std::string newestCheckpoint(const std::string &runFolder);

// A new, not yet existing path "<parent>/<prefix>-<UTC yyyymmdd-hhmmss>[-N]"
// (the folder is not created).
std::string newStampedFolder(const std::string &parent, const std::string &prefix);

} // namespace engine

// The single-writer lock of a project (internal to engine/project): an
// operating-system lock on "<project>.lock" next to the file, which the kernel
// releases when the holding process exits or is killed, so a lock left by a dead
// process is simply taken over. The lock file records who holds it (pid, host,
// since) for the "open elsewhere" message; it is rewritten in place, not renamed,
// because the lock belongs to the file's inode. It does not guard readers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace engine {

class ProjectLock
{
public:
    struct Holder
    {
        std::int64_t pid = 0;
        std::string host;
        std::int64_t sinceMs = 0;
    };

    ~ProjectLock(); // removes the lock file and releases the lock
    ProjectLock(const ProjectLock &) = delete;
    ProjectLock &operator=(const ProjectLock &) = delete;

    // Takes the lock of `projectPath` if no live process holds it. Otherwise returns
    // null and sets `reason`, e.g. "open elsewhere (by process 4242 on host lab
    // since 2026-11-23 09:41:07 UTC)" or why the lock file cannot be written.
    static std::unique_ptr<ProjectLock> tryAcquire(const std::string &projectPath, std::string &reason);
    // True if a live process holds the lock of `projectPath` (nothing is changed).
    static bool isHeldElsewhere(const std::string &projectPath);

    static std::string lockPathFor(const std::string &projectPath) { return projectPath + ".lock"; }
    static std::string describe(const std::optional<Holder> &holder);

private:
    ProjectLock(std::string lockPath, std::intptr_t handle);
    std::string m_lockPath;
    std::intptr_t m_handle;
};

} // namespace engine

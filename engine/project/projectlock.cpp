#include "engine/project/projectlock.h"

#include "engine/project/projecttypes.h"

#include <cerrno>
#include <cstring>
#include <sstream>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace engine {

namespace {

std::optional<ProjectLock::Holder> parseHolder(const std::string &content)
{
    std::istringstream in(content);
    ProjectLock::Holder holder;
    if (in >> holder.pid >> holder.host >> holder.sinceMs)
        return holder;
    return std::nullopt;
}

#ifdef _WIN32
using Handle = HANDLE;
constexpr DWORD kLockOffset = 0x40000000; // a byte past the content, so readers can still read it

std::string currentHost()
{
    char name[MAX_COMPUTERNAME_LENGTH + 1] = {};
    DWORD size = sizeof name;
    return GetComputerNameA(name, &size) ? std::string(name) : std::string("unknown");
}

std::int64_t currentPid()
{
    return static_cast<std::int64_t>(GetCurrentProcessId());
}

Handle openLockFile(const std::string &path)
{
    return CreateFileA(path.c_str(), GENERIC_READ | GENERIC_WRITE,
        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
}

bool isValid(Handle handle)
{
    return handle != INVALID_HANDLE_VALUE;
}

bool tryLock(Handle handle)
{
    OVERLAPPED where {};
    where.Offset = kLockOffset;
    return LockFileEx(handle, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &where) != 0;
}

bool stillNamed(Handle, const std::string &)
{
    return true;
}

std::string readAll(Handle handle)
{
    char buffer[512];
    DWORD read = 0;
    SetFilePointer(handle, 0, nullptr, FILE_BEGIN);
    return ReadFile(handle, buffer, sizeof buffer, &read, nullptr) ? std::string(buffer, read) : std::string();
}

void writeAll(Handle handle, const std::string &content)
{
    DWORD written = 0;
    SetFilePointer(handle, 0, nullptr, FILE_BEGIN);
    SetEndOfFile(handle);
    WriteFile(handle, content.data(), static_cast<DWORD>(content.size()), &written, nullptr);
}

void closeHandle(Handle handle)
{
    CloseHandle(handle);
}
void removeName(const std::string &)
{ } // Windows keeps the file; an unlocked lock file is harmless
Handle fromStored(std::intptr_t value)
{
    return reinterpret_cast<Handle>(value);
}
std::intptr_t toStored(Handle handle)
{
    return reinterpret_cast<std::intptr_t>(handle);
}
#else
using Handle = int;

std::string currentHost()
{
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0)
        return "unknown";
    return name;
}

std::int64_t currentPid()
{
    return static_cast<std::int64_t>(getpid());
}

Handle openLockFile(const std::string &path)
{
    return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

bool isValid(Handle handle)
{
    return handle >= 0;
}

// flock (not fcntl) locks belong to the open file description, so a second
// open in the same process conflicts too.
bool tryLock(Handle handle)
{
    return ::flock(handle, LOCK_EX | LOCK_NB) == 0;
}

// After locking: is `path` still this file? (the previous holder may have
// removed it between our open and our lock).
bool stillNamed(Handle handle, const std::string &path)
{
    struct stat opened
    {
    }, named {};
    return ::fstat(handle, &opened) == 0 && ::stat(path.c_str(), &named) == 0 && opened.st_dev == named.st_dev
        && opened.st_ino == named.st_ino;
}

std::string readAll(Handle handle)
{
    char buffer[512];
    const ssize_t read = ::pread(handle, buffer, sizeof buffer, 0);
    return read > 0 ? std::string(buffer, static_cast<std::size_t>(read)) : std::string();
}

void writeAll(Handle handle, const std::string &content)
{
    if (::ftruncate(handle, 0) == 0 && ::pwrite(handle, content.data(), content.size(), 0) < 0) {
        // The holder line only feeds the message others see; the lock itself holds.
    }
}

void closeHandle(Handle handle)
{
    ::close(handle);
}
void removeName(const std::string &path)
{
    ::unlink(path.c_str());
}
Handle fromStored(std::intptr_t value)
{
    return static_cast<Handle>(value);
}
std::intptr_t toStored(Handle handle)
{
    return static_cast<std::intptr_t>(handle);
}
#endif

} // namespace

ProjectLock::ProjectLock(std::string lockPath, std::intptr_t handle)
    : m_lockPath(std::move(lockPath))
    , m_handle(handle)
{ }

ProjectLock::~ProjectLock()
{
    removeName(m_lockPath); // before unlocking, so a waiting opener sees the name gone and retries
    closeHandle(fromStored(m_handle));
}

std::string ProjectLock::describe(const std::optional<Holder> &holder)
{
    if (!holder)
        return "open elsewhere (by another process that is starting up)";
    return "open elsewhere (by process " + std::to_string(holder->pid) + " on host " + holder->host + " since "
        + formatUtcTime(holder->sinceMs) + ")";
}

std::unique_ptr<ProjectLock> ProjectLock::tryAcquire(const std::string &projectPath, std::string &reason)
{
    const std::string lockPath = lockPathFor(projectPath);
    for (int attempt = 0; attempt < 5; ++attempt) {
        const Handle handle = openLockFile(lockPath);
        if (!isValid(handle)) {
            reason = "cannot create the lock file '" + lockPath + "': " + std::strerror(errno)
                + " (hint: the folder is not writable, so the project opens read-only)";
            return nullptr;
        }
        if (!tryLock(handle)) {
            reason = describe(parseHolder(readAll(handle)));
            closeHandle(handle);
            return nullptr;
        }
        if (!stillNamed(handle, lockPath)) {
            closeHandle(handle);
            continue;
        }
        writeAll(
            handle, std::to_string(currentPid()) + " " + currentHost() + " " + std::to_string(currentTimeMs()) + "\n");
        return std::unique_ptr<ProjectLock>(new ProjectLock(lockPath, toStored(handle)));
    }
    reason = "cannot take the lock file '" + lockPath + "' (hint: another process keeps replacing it)";
    return nullptr;
}

bool ProjectLock::isHeldElsewhere(const std::string &projectPath)
{
    const std::string lockPath = lockPathFor(projectPath);
#ifdef _WIN32
    const Handle handle = CreateFileA(lockPath.c_str(), GENERIC_READ | GENERIC_WRITE,
        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
#else
    const Handle handle = ::open(lockPath.c_str(), O_RDONLY | O_CLOEXEC); // flock needs no write access
#endif
    if (!isValid(handle))
        return false; // no lock file: nobody holds it
    const bool held = !tryLock(handle);
    closeHandle(handle); // closing releases a lock we may just have taken
    return held;
}

} // namespace engine

#include "engine/io/mappedfile.h"

#include "engine/core/status.h"

#include <cerrno>
#include <cstring>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace engine {

namespace {

[[noreturn]] void failOpen(const std::string &path, const std::string &why)
{
    throw Error("cannot read '" + path + "': " + why + " (hint: check that the file exists and is readable)");
}

} // namespace

#ifdef _WIN32

MappedFile::MappedFile(std::string path)
    : m_path(std::move(path))
{
    const int wideLength = MultiByteToWideChar(CP_UTF8, 0, m_path.c_str(), -1, nullptr, 0);
    std::wstring widePath(static_cast<std::size_t>(wideLength > 0 ? wideLength : 1), L'\0');
    MultiByteToWideChar(CP_UTF8, 0, m_path.c_str(), -1, widePath.data(), wideLength);
    HANDLE file = CreateFileW(
        widePath.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file == INVALID_HANDLE_VALUE)
        failOpen(m_path, "CreateFile failed with error " + std::to_string(GetLastError()));
    m_fileHandle = file;
    LARGE_INTEGER size;
    if (!GetFileSizeEx(file, &size)) {
        CloseHandle(file);
        failOpen(m_path, "cannot get the file size");
    }
    m_size = static_cast<std::uint64_t>(size.QuadPart);
    if (m_size == 0)
        return;
    HANDLE mapping = CreateFileMappingW(file, nullptr, PAGE_WRITECOPY, 0, 0, nullptr);
    if (!mapping) {
        CloseHandle(file);
        failOpen(m_path, "CreateFileMapping failed with error " + std::to_string(GetLastError()));
    }
    m_mappingHandle = mapping;
    m_data = static_cast<std::uint8_t *>(MapViewOfFile(mapping, FILE_MAP_COPY, 0, 0, 0));
    if (!m_data) {
        CloseHandle(mapping);
        CloseHandle(file);
        failOpen(m_path, "MapViewOfFile failed with error " + std::to_string(GetLastError()));
    }
}

MappedFile::~MappedFile()
{
    if (m_data)
        UnmapViewOfFile(m_data);
    if (m_mappingHandle)
        CloseHandle(static_cast<HANDLE>(m_mappingHandle));
    if (m_fileHandle)
        CloseHandle(static_cast<HANDLE>(m_fileHandle));
}

#else

MappedFile::MappedFile(std::string path)
    : m_path(std::move(path))
{
    const int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        failOpen(m_path, std::strerror(errno));
    struct stat info
    {
    };
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        failOpen(m_path, "not a regular file");
    }
    m_size = static_cast<std::uint64_t>(info.st_size);
    if (m_size == 0) {
        ::close(fd);
        return;
    }
    // Copy-on-write: writable pages, never written back to the file.
    void *address = ::mmap(nullptr, m_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    const int mapError = errno;
    ::close(fd); // the mapping keeps its own reference to the file
    if (address == MAP_FAILED)
        failOpen(m_path, std::string("mmap failed: ") + std::strerror(mapError));
    m_data = static_cast<std::uint8_t *>(address);
}

MappedFile::~MappedFile()
{
    if (m_data)
        ::munmap(m_data, m_size);
}

#endif

} // namespace engine

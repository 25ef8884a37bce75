// A read-only view of a whole file through the operating system's memory
// mapping (POSIX mmap, or CreateFileMapping on Windows). Pages are mapped
// copy-on-write, so a tensor built on top of the mapping may be modified in
// place without touching the file. Does not parse anything; Torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace engine {

class MappedFile
{
public:
    // Maps `path`; throws engine::Error naming the path if it cannot be opened
    // or mapped. An empty file gives size() == 0 and data() == nullptr.
    explicit MappedFile(std::string path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    const std::uint8_t *data() const { return m_data; }
    std::uint64_t size() const { return m_size; }
    const std::string &path() const { return m_path; }

private:
    std::string m_path;
    std::uint8_t *m_data = nullptr;
    std::uint64_t m_size = 0;
#ifdef _WIN32
    void *m_fileHandle = nullptr;
    void *m_mappingHandle = nullptr;
#endif
};

} // namespace engine

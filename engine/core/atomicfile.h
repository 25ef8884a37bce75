// Writing files so that a crash never leaves half a file: the bytes go to a
// temporary file in the same folder, which is flushed and renamed over the
// destination only when complete. Qt-free; throws engine::Error naming the
// path on failure (and removes the temporary file).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace engine {

class AtomicFile
{
public:
    // Opens "<path>.tmp-<random>" for writing.
    explicit AtomicFile(std::string path);
    ~AtomicFile(); // discards the temporary file unless commit() succeeded
    AtomicFile(const AtomicFile &) = delete;
    AtomicFile &operator=(const AtomicFile &) = delete;

    void write(const void *data, std::size_t size);
    void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
    // Flushes to disk and renames over the destination.
    void commit();

    const std::string &path() const { return m_path; }

private:
    std::string m_path;
    std::string m_tempPath;
    std::FILE *m_file = nullptr;
    bool m_committed = false;
};

// Writes `bytes` to `path` atomically.
void writeFileAtomically(const std::string &path, std::string_view bytes);

// Reads a whole file; throws engine::Error naming the path if it cannot.
std::string readFile(const std::string &path);

} // namespace engine

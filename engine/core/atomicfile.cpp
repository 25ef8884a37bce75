#include "engine/core/atomicfile.h"

#include "engine/core/status.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace engine {

namespace {

std::string systemError()
{
    return std::strerror(errno);
}

std::string randomSuffix()
{
    std::random_device device;
    std::uniform_int_distribution<unsigned> digit(0, 35);
    std::string suffix;
    for (int i = 0; i < 8; ++i) {
        const unsigned d = digit(device);
        suffix += static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
    }
    return suffix;
}

} // namespace

AtomicFile::AtomicFile(std::string path) : m_path(std::move(path))
{
    m_tempPath = m_path + ".tmp-" + randomSuffix();
    m_file = std::fopen(m_tempPath.c_str(), "wb");
    if (!m_file)
        throw Error("cannot write '" + m_path + "': " + systemError()
                    + " (hint: check that the folder exists and is writable)");
}

AtomicFile::~AtomicFile()
{
    if (m_file)
        std::fclose(m_file);
    if (!m_committed) {
        std::error_code ignored;
        std::filesystem::remove(m_tempPath, ignored);
    }
}

void AtomicFile::write(const void *data, std::size_t size)
{
    if (size && std::fwrite(data, 1, size, m_file) != size)
        throw Error("cannot write '" + m_path + "': " + systemError() + " (hint: is the disk full?)");
}

void AtomicFile::commit()
{
    bool ok = std::fflush(m_file) == 0;
#ifdef _WIN32
    ok = ok && _commit(_fileno(m_file)) == 0;
#else
    ok = ok && ::fsync(fileno(m_file)) == 0;
#endif
    ok = (std::fclose(m_file) == 0) && ok;
    m_file = nullptr;
    if (!ok)
        throw Error("cannot write '" + m_path + "': " + systemError() + " (hint: is the disk full?)");
    std::error_code error;
    std::filesystem::rename(m_tempPath, m_path, error);
    if (error)
        throw Error("cannot replace '" + m_path + "': " + error.message());
    m_committed = true;
}

void writeFileAtomically(const std::string &path, std::string_view bytes)
{
    AtomicFile file(path);
    file.write(bytes);
    file.commit();
}

std::string readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error("cannot read '" + path + "': " + systemError());
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        throw Error("cannot read '" + path + "': read error");
    return buffer.str();
}

} // namespace engine

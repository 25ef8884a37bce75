// LineReader: memchr over a buffer that is refilled in 1 MiB blocks and grows
// only up to the longest accepted line.
#include "engine/data/linereader.h"

#include "engine/data/recorderror.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace engine::data {

namespace {

constexpr std::size_t kLineReadBlock = 1 << 20;

std::string megabytes(std::size_t bytes)
{
    return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MB";
}

} // namespace

bool isBlankLine(std::string_view line)
{
    return line.find_first_not_of(" \t\r\f\v") == std::string_view::npos;
}

LineReader::LineReader(std::string path, std::size_t maxLineBytes)
    : m_path(std::move(path))
    , m_maxLine(maxLineBytes)
{
    m_file = std::fopen(m_path.c_str(), "rb");
    if (!m_file)
        throw Error("cannot open dataset file '" + m_path + "': " + std::strerror(errno)
            + " (hint: check the path and its permissions)");
    std::error_code ec;
    m_size = std::filesystem::file_size(m_path, ec);
    m_buffer.resize(kLineReadBlock);
}

LineReader::~LineReader()
{
    if (m_file)
        std::fclose(m_file);
}

bool LineReader::fill()
{
    if (m_eof)
        return false;
    if (m_begin > 0) {
        std::memmove(m_buffer.data(), m_buffer.data() + m_begin, m_end - m_begin);
        m_end -= m_begin;
        m_begin = 0;
    }
    if (m_buffer.size() - m_end < kLineReadBlock)
        m_buffer.resize(m_end + kLineReadBlock);
    const std::size_t got = std::fread(m_buffer.data() + m_end, 1, m_buffer.size() - m_end, m_file);
    if (got == 0) {
        if (std::ferror(m_file))
            throw Error("cannot read dataset file '" + m_path + "': " + std::strerror(errno));
        m_eof = true;
        return false;
    }
    m_end += got;
    return true;
}

void LineReader::skipRestOfLine()
{
    for (;;) {
        const void *nl = std::memchr(m_buffer.data() + m_begin, '\n', m_end - m_begin);
        if (nl) {
            const std::size_t stop = static_cast<const char *>(nl) - m_buffer.data() + 1;
            m_consumed += stop - m_begin;
            m_begin = stop;
            return;
        }
        m_consumed += m_end - m_begin;
        m_begin = m_end;
        if (!fill())
            return;
    }
}

void LineReader::refuseLongLine()
{
    throw RecordError(m_path + ":" + std::to_string(m_line) + ": the record is longer than " + megabytes(m_maxLine)
        + " (hint: split it, or raise the maximum record size in the dataset settings)");
}

bool LineReader::emit(std::size_t stop, std::size_t next, std::string_view &line)
{
    std::size_t start = m_begin;
    ++m_line;
    m_consumed += next - start;
    m_begin = next;
    if (m_first) {
        m_first = false;
        if (stop - start >= 3 && std::memcmp(m_buffer.data() + start, "\xEF\xBB\xBF", 3) == 0)
            start += 3;
    }
    std::size_t finish = stop;
    m_cr = finish > start && m_buffer[finish - 1] == '\r';
    if (m_cr)
        --finish;
    if (finish - start > m_maxLine)
        refuseLongLine();
    line = std::string_view(m_buffer.data() + start, finish - start);
    return true;
}

bool LineReader::next(std::string_view &line)
{
    std::size_t scanFrom = m_begin;
    for (;;) {
        const void *nl = std::memchr(m_buffer.data() + scanFrom, '\n', m_end - scanFrom);
        if (nl) {
            const std::size_t stop = static_cast<const char *>(nl) - m_buffer.data();
            return emit(stop, stop + 1, line);
        }
        const std::size_t scanned = m_end - m_begin;
        if (scanned > m_maxLine + 4) { // too long already (+4: BOM and '\r'): refuse without buffering more
            ++m_line;
            skipRestOfLine();
            refuseLongLine();
        }
        if (!fill()) {
            if (m_begin >= m_end)
                return false;
            return emit(m_end, m_end, line);
        }
        scanFrom = m_begin + scanned;
    }
}

} // namespace engine::data

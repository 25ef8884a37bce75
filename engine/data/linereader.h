// Buffered line-by-line reading of one text file for the streaming dataset
// readers: a fixed-size buffer (memory does not grow with the file), 1-based
// line numbers, a UTF-8 BOM at the start skipped, "\n" and "\r\n" endings
// removed, and lines longer than a limit refused as one bad record. Does not
// validate UTF-8 (readers do, to name the line). Internal to engine/data.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace engine::data {

// True when the line holds only spaces, tabs, CR, form or vertical feeds.
bool isBlankLine(std::string_view line);

class LineReader
{
public:
    // Throws engine::Error naming the path if the file cannot be opened.
    LineReader(std::string path, std::size_t maxLineBytes);
    ~LineReader();
    LineReader(const LineReader &) = delete;
    LineReader &operator=(const LineReader &) = delete;

    // The next line (valid until the next call); false at the end of the file.
    // Throws RecordError (after skipping the line) if it is longer than the limit.
    bool next(std::string_view &line);

    std::int64_t lineNumber() const { return m_line; } // of the line next() returned
    bool lineEndedWithCr() const { return m_cr; } // the line ended with "\r\n"
    std::uint64_t bytesRead() const { return m_consumed; }
    std::uint64_t fileSize() const { return m_size; }
    const std::string &path() const { return m_path; }

private:
    bool fill(); // reads more bytes; false at end of file
    void skipRestOfLine();
    bool emit(std::size_t stop, std::size_t next, std::string_view &line);
    [[noreturn]] void refuseLongLine();

    std::string m_path;
    std::size_t m_maxLine;
    std::FILE *m_file = nullptr;
    std::string m_buffer;
    std::size_t m_begin = 0; // first unread byte in m_buffer
    std::size_t m_end = 0; // one past the last valid byte
    bool m_eof = false;
    bool m_first = true;
    bool m_cr = false;
    std::int64_t m_line = 0;
    std::uint64_t m_consumed = 0;
    std::uint64_t m_size = 0;
};

} // namespace engine::data

// Streaming reader for a .json file holding an array of objects: elements are
// cut out by a small scanner (strings, escapes, nesting) and parsed one at a
// time, so a 2 GB array needs memory for one element only. A .json file that
// starts with '{' is read as JSON Lines (a common naming mix-up). Internal to
// engine/data (use openRecordReader).
#pragma once

#include "engine/data/recordreader.h"

#include <cstdio>

namespace engine::data {

class JsonArrayReader : public RecordReader
{
public:
    JsonArrayReader(const std::string &path, const ReaderOptions &options);
    ~JsonArrayReader() override;
    JsonArrayReader(const JsonArrayReader &) = delete;
    JsonArrayReader &operator=(const JsonArrayReader &) = delete;

    bool next(Record &out) override;
    std::uint64_t bytesRead() const override { return m_consumed; }
    std::uint64_t totalBytes() const override { return m_size; }

private:
    bool refill(); // reads the next block; false at end of file
    int get(); // next byte or -1; counts lines
    int peekNonSpace(); // skips whitespace, returns the next byte without consuming it
    void open(); // reads the BOM and '['
    bool cutElement(); // fills m_element; false when the array ends
    [[noreturn]] void fail(const std::string &problem, std::int64_t line) const;

    std::string m_path;
    std::size_t m_maxRecord;
    std::FILE *m_file = nullptr;
    std::string m_buffer;
    std::size_t m_pos = 0;
    std::size_t m_end = 0;
    std::int64_t m_line = 1;
    std::uint64_t m_consumed = 0;
    std::uint64_t m_size = 0;
    bool m_opened = false;
    bool m_closed = false; // the closing ']' was read
    std::string m_element;
    std::int64_t m_elementLine = 0;
    std::int64_t m_records = 0;
};

} // namespace engine::data

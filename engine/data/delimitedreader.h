// CSV and TSV readers with a header row. CSV follows RFC 4180 (fields in
// double quotes may hold commas, quotes written "" and line breaks); TSV is
// split on tabs with no quote processing, as GLUE's files need (SST-2
// sentences contain '"'). Every row must have as many cells as the header.
// Internal to engine/data (use openRecordReader).
#pragma once

#include "engine/data/linereader.h"
#include "engine/data/recordreader.h"

namespace engine::data {

class DelimitedReader : public RecordReader
{
public:
    enum class Dialect { Csv, Tsv };

    DelimitedReader(const std::string &path, Dialect dialect, const ReaderOptions &options);

    bool next(Record &out) override;
    std::uint64_t bytesRead() const override { return m_lines.bytesRead(); }
    std::uint64_t totalBytes() const override { return m_lines.fileSize(); }

private:
    bool readRow(std::vector<std::string> &cells, std::int64_t &line); // false at end of file
    void splitCsv(std::vector<std::string> &cells, std::int64_t line);
    void checkUtf8(std::string_view text, std::int64_t line) const;
    void readHeader();

    LineReader m_lines;
    Dialect m_dialect;
    std::size_t m_maxRecord;
    std::vector<std::string> m_header;
    bool m_headerRead = false;
    std::int64_t m_rows = 0;
    std::string m_pending; // the CSV line being split
};

} // namespace engine::data

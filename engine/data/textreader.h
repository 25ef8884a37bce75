// Plain-text reader: each paragraph (lines up to a blank line) is one
// document, or the whole file is one document (TextUnit::File). Line breaks
// inside a document are kept as "\n". Records have one field, named by
// ReaderOptions::textField. Internal to engine/data (use openRecordReader).
#pragma once

#include "engine/data/linereader.h"
#include "engine/data/recordreader.h"

namespace engine::data {

class TextReader : public RecordReader
{
public:
    TextReader(const std::string &path, const ReaderOptions &options);

    bool next(Record &out) override;
    std::uint64_t bytesRead() const override { return m_lines.bytesRead(); }
    std::uint64_t totalBytes() const override { return m_lines.fileSize(); }

private:
    LineReader m_lines;
    ReaderOptions m_options;
    std::int64_t m_records = 0;
    bool m_done = false;
};

} // namespace engine::data

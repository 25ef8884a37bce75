// JSON Lines reader: one JSON object per line, blank lines ignored. Internal
// to engine/data (use openRecordReader).
#pragma once

#include "engine/data/linereader.h"
#include "engine/data/recordreader.h"

namespace engine::data {

class JsonlReader : public RecordReader
{
public:
    JsonlReader(const std::string &path, const ReaderOptions &options);

    bool next(Record &out) override;
    std::uint64_t bytesRead() const override { return m_lines.bytesRead(); }
    std::uint64_t totalBytes() const override { return m_lines.fileSize(); }

private:
    LineReader m_lines;
    std::int64_t m_records = 0;
};

} // namespace engine::data

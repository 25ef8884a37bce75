// Reads every dataset file below a folder, one after the other, in sorted
// path order (so the record order, and with it shuffling and splits, is the
// same on every machine). Internal to engine/data (use openRecordReader).
#pragma once

#include "engine/data/recordreader.h"

namespace engine::data {

class FolderReader : public RecordReader
{
public:
    FolderReader(const std::string &folder, const ReaderOptions &options); // throws if no dataset files

    bool next(Record &out) override;
    std::uint64_t bytesRead() const override;
    std::uint64_t totalBytes() const override { return m_total; }

private:
    ReaderOptions m_options;
    std::vector<std::string> m_files;
    std::size_t m_index = 0;
    std::unique_ptr<RecordReader> m_current;
    std::uint64_t m_doneBytes = 0; // of the files already read
    std::uint64_t m_total = 0;
};

} // namespace engine::data

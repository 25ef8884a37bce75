// Streaming record readers: one interface over .jsonl, .json (array), .csv,
// .tsv, .txt files and folders of them. Memory does not grow with the file: a
// reader holds one buffer and one record at a time. Readers know file formats
// only; what the fields mean is decided by shape.h. Qt-free and Torch-free.
#pragma once

#include "engine/data/datasetconfig.h"
#include "engine/data/record.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace engine::data {

struct ReaderOptions
{
    TextUnit textUnit = TextUnit::Paragraph; // documents in .txt files
    std::string textField = "text"; // field name given to .txt documents
    std::size_t maxRecordBytes = 16u << 20; // larger records are refused as absurd
};

class RecordReader
{
public:
    virtual ~RecordReader() = default;

    // Reads the next record into `out`; returns false at the end of the data.
    // Throws RecordError for one malformed record after moving past it (the
    // caller may skip it and call next() again), engine::Error when the file
    // cannot be read further. Messages start with "<file>:<line>: ".
    virtual bool next(Record &out) = 0;

    virtual std::uint64_t bytesRead() const = 0; // for progress
    virtual std::uint64_t totalBytes() const = 0;
};

// File extensions the readers accept (lower case, with the dot).
bool isDatasetFile(const std::string &path);

// A reader for a file (by extension) or a folder (every dataset file below it,
// sorted by path). Throws engine::Error if the path is missing, has an
// unsupported extension, or is a folder with no dataset files.
std::unique_ptr<RecordReader> openRecordReader(const std::string &path, const ReaderOptions &options);

} // namespace engine::data

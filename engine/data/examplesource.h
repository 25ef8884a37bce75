// The streaming front half of the data pipeline: records from a file or
// folder -> shape (detected on the first record) -> Sample -> rendered
// segments, with bad records either stopping the run (the error names file
// and line) or skipped and counted when the settings allow. Also resolves
// the chat template and special-token strings for the detected shape. Used by
// DataLoader, previewDataset and the benchmark. Qt-free and Torch-free.
#pragma once

#include "engine/data/chattemplatedetector.h"
#include "engine/data/datasetconfig.h"
#include "engine/data/recordreader.h"
#include "engine/data/samplerenderer.h"
#include "engine/data/shapeparser.h"
#include "engine/tokenizer/tokenizer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace engine::data {

// How many skipped-record messages are kept for the report.
constexpr std::size_t kKeptSkipMessages = 20;

class ExampleSource
{
public:
    // Opens `path` and reads up to the first good record to decide the shape.
    // modelTemplate: the model's detected template (nullptr: none known);
    // tokenizer: supplies bos/eos strings (nullptr: template defaults).
    // Throws engine::Error (missing file, unknown shape, or a bad first
    // record when not skipping).
    ExampleSource(const std::string &path, const DatasetConfig &config, const TemplateDetection *modelTemplate,
        const Tokenizer *tokenizer);
    ~ExampleSource();

    // The next rendered example; false at the end. Preference records give
    // two in a row (chosen, then rejected). Throws RecordError for a bad
    // record unless skipping is on, engine::Error for fatal problems.
    bool next(RenderedExample &out);

    Shape shape() const;
    const std::string &shapeReason() const;
    const RenderOptions &renderOptions() const { return m_options; }
    const std::vector<std::string> &warnings() const { return m_warnings; }
    std::int64_t records() const { return m_records; } // good records returned so far
    std::int64_t skipped() const { return m_skipped; }
    const std::vector<std::string> &skippedMessages() const { return m_skipMessages; }
    std::uint64_t bytesRead() const { return m_reader->bytesRead(); }
    std::uint64_t totalBytes() const { return m_reader->totalBytes(); }

private:
    bool readRecord(); // into m_record; handles skipping
    void resolveOptions(
        const DatasetConfig &config, const TemplateDetection *modelTemplate, const Tokenizer *tokenizer);

    bool m_skipBad;
    std::unique_ptr<RecordReader> m_reader;
    std::unique_ptr<ShapeParser> m_parser;
    RenderOptions m_options;
    std::vector<std::string> m_warnings;
    Record m_record;
    Sample m_sample;
    bool m_pending = false; // m_record holds the first record, not yet returned
    RenderedExample m_rejected; // a preference record's second example, returned by the next call
    bool m_rejectedPending = false;
    std::int64_t m_records = 0;
    std::int64_t m_skipped = 0;
    std::vector<std::string> m_skipMessages;
};

} // namespace engine::data

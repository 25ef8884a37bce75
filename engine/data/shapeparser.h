// Record shapes (formats.md §7.1-7.2): detection from the first record's
// fields (with GLUE SST-2 / MNLI column aliases), the user's override and
// field map, and conversion of each record into a Sample with clear errors
// for missing or mistyped fields and unknown roles. Preference data
// (prompt/chosen/rejected) becomes one Sample holding both answers. Does not
// render text (see samplerenderer.h). Qt-free and Torch-free.
#pragma once

#include "engine/data/datasetconfig.h"
#include "engine/data/record.h"
#include "engine/data/sample.h"

#include <map>
#include <string>

namespace engine::data {

class ShapeParser
{
public:
    // Decides the shape from `first` (unless config.shape is set) and the
    // field names to use. Throws engine::Error naming the record when the
    // shape cannot be told.
    ShapeParser(const Record &first, const DatasetConfig &config);

    Shape shape() const { return m_shape; }
    // Why this shape, for people: "fields 'instruction', 'input', 'output' (Alpaca)".
    const std::string &reason() const { return m_reason; }
    // The name in the file of a canonical field ("text", "label", ...).
    std::string fieldName(const std::string &canonical) const;

    // Converts one record. Throws RecordError naming the record's file, line
    // and field for missing/mistyped fields, empty texts and unknown roles.
    void parse(const Record &record, Sample &out) const;

private:
    void detect(const Record &first);
    void parseConversation(const Record &record, const Field &list, std::vector<Message> &out) const;
    void parseMessage(const Record &record, const Field &item, std::size_t index, std::vector<Message> &out) const;
    std::string mapRole(const Record &record, std::size_t index, const std::string &role) const;
    void parsePreference(const Record &record, Sample &out) const;
    void parseAnswer(const Record &record, const std::string &canonical, std::vector<Message> &out) const;

    DatasetConfig m_config;
    Shape m_shape = Shape::Text;
    std::string m_reason;
    std::map<std::string, std::string> m_fields; // canonical -> name in the file
};

} // namespace engine::data

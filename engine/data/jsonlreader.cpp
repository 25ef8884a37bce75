// JsonlReader: LineReader + parseJsonRecord; an empty file is an error.
#include "engine/data/jsonlreader.h"

#include "engine/data/jsonrecord.h"

namespace engine::data {

JsonlReader::JsonlReader(const std::string &path, const ReaderOptions &options)
    : m_lines(path, options.maxRecordBytes)
{ }

bool JsonlReader::next(Record &out)
{
    std::string_view line;
    while (m_lines.next(line)) {
        if (isBlankLine(line))
            continue;
        ++m_records; // counted before parsing: a bad line is still a record, for the empty-file check
        parseJsonRecord(line, m_lines.path(), m_lines.lineNumber(), out);
        return true;
    }
    if (m_records == 0)
        throw Error(
            m_lines.path() + ": the file has no records (hint: JSON Lines files hold one JSON object per line)");
    return false;
}

} // namespace engine::data

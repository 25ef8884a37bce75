// TextReader: gathers lines into a document until a blank line (or the end
// of the file), validating UTF-8 line by line so errors name the line.
#include "engine/data/textreader.h"

#include "engine/data/recorderror.h"
#include "engine/data/utf8.h"

namespace engine::data {

TextReader::TextReader(const std::string &path, const ReaderOptions &options)
    : m_lines(path, options.maxRecordBytes)
    , m_options(options)
{ }

bool TextReader::next(Record &out)
{
    std::string document;
    std::int64_t firstLine = 0;
    std::string_view line;
    std::string error;
    while (!m_done && m_lines.next(line)) {
        const bool blank = isBlankLine(line);
        if (blank && m_options.textUnit == TextUnit::Paragraph) {
            if (firstLine > 0)
                break;
            continue;
        }
        if (firstLine == 0) {
            if (blank)
                continue; // leading blank lines of a whole-file document
            firstLine = m_lines.lineNumber();
        } else {
            document.push_back('\n');
        }
        const std::size_t bad = firstInvalidUtf8(line);
        if (bad != kValidUtf8 && error.empty())
            error = m_lines.path() + ":" + std::to_string(m_lines.lineNumber()) + ": invalid UTF-8 (byte "
                + std::to_string(bad + 1) + " of the line) (hint: save the file as UTF-8)";
        if (document.size() + line.size() > m_options.maxRecordBytes && error.empty())
            error = m_lines.path() + ":" + std::to_string(firstLine) + ": the document is longer than "
                + std::to_string(m_options.maxRecordBytes >> 20)
                + " MB (hint: separate paragraphs with blank lines, or raise the maximum record size)";
        if (error.empty())
            document.append(line);
    }
    if (firstLine == 0) {
        m_done = true;
        if (m_records == 0)
            throw Error(m_lines.path() + ": the file has no text (hint: it is empty or only blank lines)");
        return false;
    }
    ++m_records;
    if (!error.empty())
        throw RecordError(error);
    while (!document.empty() && (document.back() == '\n' || document.back() == ' ' || document.back() == '\t'))
        document.pop_back(); // trailing blank lines of a whole-file document
    out.source = m_lines.path();
    out.line = firstLine;
    out.fields.resize(1);
    out.fields[0].name = m_options.textField;
    out.fields[0].kind = Field::Kind::String;
    out.fields[0].text = std::move(document);
    out.fields[0].children.clear();
    return true;
}

} // namespace engine::data

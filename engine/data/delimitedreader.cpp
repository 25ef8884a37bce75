// DelimitedReader: rows from LineReader lines; CSV rows may continue over
// several lines while a quoted field is open.
#include "engine/data/delimitedreader.h"

#include "engine/data/recorderror.h"
#include "engine/data/utf8.h"

namespace engine::data {

namespace {

void splitTabs(std::string_view line, std::vector<std::string> &cells)
{
    cells.clear();
    std::size_t start = 0;
    for (;;) {
        const std::size_t tab = line.find('\t', start);
        cells.emplace_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
        if (tab == std::string_view::npos)
            return;
        start = tab + 1;
    }
}

} // namespace

DelimitedReader::DelimitedReader(const std::string &path, Dialect dialect, const ReaderOptions &options)
    : m_lines(path, options.maxRecordBytes)
    , m_dialect(dialect)
    , m_maxRecord(options.maxRecordBytes)
{ }

void DelimitedReader::checkUtf8(std::string_view text, std::int64_t line) const
{
    const std::size_t bad = firstInvalidUtf8(text);
    if (bad != kValidUtf8)
        throw RecordError(m_lines.path() + ":" + std::to_string(line) + ": invalid UTF-8 (byte "
            + std::to_string(bad + 1) + " of the line) (hint: save the file as UTF-8)");
}

// Splits the CSV row that starts with m_pending (the current line), reading more lines while a quote is open.
void DelimitedReader::splitCsv(std::vector<std::string> &cells, std::int64_t line)
{
    std::size_t rowBytes = m_pending.size();
    cells.assign(1, std::string());
    bool quoted = false; // inside "..."
    bool fieldStart = true; // no character of this field read yet
    std::string_view rest = m_pending;
    for (;;) {
        for (std::size_t i = 0; i < rest.size(); ++i) {
            const char c = rest[i];
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < rest.size() && rest[i + 1] == '"') {
                        cells.back().push_back('"');
                        ++i;
                    } else {
                        quoted = false;
                    }
                } else {
                    cells.back().push_back(c);
                }
            } else if (c == ',') {
                cells.emplace_back();
                fieldStart = true;
                continue;
            } else if (c == '"' && fieldStart) {
                quoted = true;
            } else {
                cells.back().push_back(c);
            }
            fieldStart = false;
        }
        if (!quoted)
            return;
        std::string_view more;
        if (!m_lines.next(more))
            throw RecordError(m_lines.path() + ":" + std::to_string(line)
                + ": a quoted field is not closed before the end of the file (hint: check the '\"' "
                  "characters of this row)");
        rowBytes += more.size();
        if (rowBytes > m_maxRecord)
            throw RecordError(m_lines.path() + ":" + std::to_string(line)
                + ": the row is absurdly long (a quoted field may not be closed) (hint: check the '\"' "
                  "characters of this row)");
        checkUtf8(more, m_lines.lineNumber());
        cells.back() += m_lines.lineEndedWithCr() ? "\r\n" : "\n";
        m_pending.assign(more);
        rest = m_pending;
    }
}

bool DelimitedReader::readRow(std::vector<std::string> &cells, std::int64_t &line)
{
    std::string_view text;
    do {
        if (!m_lines.next(text))
            return false;
    } while (isBlankLine(text));
    line = m_lines.lineNumber();
    checkUtf8(text, line);
    if (m_dialect == Dialect::Tsv) {
        splitTabs(text, cells);
        return true;
    }
    m_pending.assign(text);
    splitCsv(cells, line);
    return true;
}

void DelimitedReader::readHeader()
{
    m_headerRead = true;
    std::int64_t line = 0;
    if (!readRow(m_header, line))
        throw Error(m_lines.path() + ": the file is empty (hint: the first row must name the columns, e.g. "
            + std::string(m_dialect == Dialect::Tsv ? "sentence<TAB>label" : "text,label") + ")");
}

bool DelimitedReader::next(Record &out)
{
    if (!m_headerRead)
        readHeader();
    std::vector<std::string> cells;
    std::int64_t line = 0;
    if (!readRow(cells, line)) {
        if (m_rows == 0)
            throw Error(m_lines.path() + ": the file has a header row but no records");
        return false;
    }
    ++m_rows;
    if (cells.size() != m_header.size())
        throw RecordError(m_lines.path() + ":" + std::to_string(line) + ": the row has " + std::to_string(cells.size())
            + " columns, the header has " + std::to_string(m_header.size()) + " (hint: "
            + (m_dialect == Dialect::Tsv ? "TSV cells are separated by tabs and cannot contain tabs"
                                         : "quote fields that contain commas: \"a, b\"")
            + ")");
    out.source = m_lines.path();
    out.line = line;
    out.fields.resize(cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
        Field &f = out.fields[i];
        f.name = m_header[i];
        f.kind = Field::Kind::String;
        f.text = std::move(cells[i]);
        f.children.clear();
    }
    return true;
}

} // namespace engine::data

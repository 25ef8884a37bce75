// JsonArrayReader: a byte scanner over 1 MiB blocks that tracks strings,
// escapes and nesting depth to find where each array element ends.
#include "engine/data/jsonarrayreader.h"

#include "engine/data/jsonrecord.h"
#include "engine/data/recorderror.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace engine::data {

namespace {

constexpr std::size_t kArrayReadBlock = 1 << 20;

bool isSpace(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

JsonArrayReader::JsonArrayReader(const std::string &path, const ReaderOptions &options)
    : m_path(path)
    , m_maxRecord(options.maxRecordBytes)
{
    m_file = std::fopen(path.c_str(), "rb");
    if (!m_file)
        throw Error("cannot open dataset file '" + path + "': " + std::strerror(errno)
            + " (hint: check the path and its permissions)");
    std::error_code ec;
    m_size = std::filesystem::file_size(path, ec);
    m_buffer.resize(kArrayReadBlock);
}

JsonArrayReader::~JsonArrayReader()
{
    std::fclose(m_file);
}

void JsonArrayReader::fail(const std::string &problem, std::int64_t line) const
{
    throw Error(m_path + ":" + std::to_string(line) + ": " + problem);
}

int JsonArrayReader::get()
{
    if (m_pos == m_end && !refill())
        return -1;
    ++m_consumed;
    const int c = static_cast<unsigned char>(m_buffer[m_pos++]);
    if (c == '\n')
        ++m_line;
    return c;
}

int JsonArrayReader::peekNonSpace()
{
    for (;;) {
        const int c = get();
        if (c < 0 || !isSpace(c)) {
            if (c >= 0) { // put it back
                --m_pos;
                --m_consumed;
            }
            return c;
        }
    }
}

void JsonArrayReader::open()
{
    m_opened = true;
    int c = get();
    if (c == 0xEF && get() == 0xBB && get() == 0xBF)
        c = get();
    while (c >= 0 && isSpace(c))
        c = get();
    if (c < 0)
        fail("the file is empty (hint: a .json dataset holds an array of objects: [{...}, {...}])", m_line);
    if (c != '[')
        fail("expected a JSON array of records (hint: a .json dataset holds [{...}, {...}]; use .jsonl for one "
             "object per line)",
            m_line);
}

bool JsonArrayReader::refill()
{
    m_end = std::fread(m_buffer.data(), 1, m_buffer.size(), m_file);
    m_pos = 0;
    if (m_end == 0 && std::ferror(m_file))
        throw Error("cannot read dataset file '" + m_path + "': " + std::strerror(errno));
    return m_end > 0;
}

// Scans the buffer in place (no per-byte calls) until the element ends at a
// top-level ',' or at the array's closing ']'.
bool JsonArrayReader::cutElement()
{
    m_element.clear();
    const int first = peekNonSpace();
    if (first == ']' && m_records == 0) {
        get();
        m_closed = true;
        return false;
    }
    m_elementLine = m_line;
    int depth = 0;
    bool inString = false;
    bool escape = false;
    bool tooLong = false;
    bool done = false;
    while (!done) {
        if (m_pos == m_end && !refill())
            fail("the file ends inside the JSON array (the element starting at line " + std::to_string(m_elementLine)
                    + " is not closed) (hint: check for a missing ']' or '}')",
                m_line);
        const char *begin = m_buffer.data() + m_pos;
        const char *end = m_buffer.data() + m_end;
        const char *q = begin;
        for (; q < end; ++q) {
            const char c = *q;
            if (inString) {
                inString = escape || c != '"';
                escape = !escape && c == '\\';
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (depth == 0) {
                    m_closed = true; // the array's own ']'
                    done = true;
                    break;
                }
                --depth;
            } else if (c == ',' && depth == 0) {
                done = true;
                break;
            }
        }
        m_line += std::count(begin, q, '\n');
        tooLong = tooLong || m_element.size() + static_cast<std::size_t>(q - begin) > m_maxRecord;
        if (!tooLong)
            m_element.append(begin, q);
        const std::size_t used = static_cast<std::size_t>(q - begin) + (done ? 1 : 0);
        m_pos += used;
        m_consumed += used;
    }
    if (tooLong)
        throw RecordError(m_path + ":" + std::to_string(m_elementLine) + ": the record is longer than "
            + std::to_string(m_maxRecord >> 20)
            + " MB (hint: split it, or raise the maximum record size in the dataset settings)");
    while (!m_element.empty() && isSpace(static_cast<unsigned char>(m_element.back())))
        m_element.pop_back();
    return true;
}

bool JsonArrayReader::next(Record &out)
{
    if (!m_opened)
        open();
    while (!m_closed) {
        if (!cutElement())
            break;
        ++m_records;
        if (m_element.empty())
            throw RecordError(
                m_path + ":" + std::to_string(m_elementLine) + ": empty array element (hint: remove the extra ',')");
        parseJsonRecord(m_element, m_path, m_elementLine, out);
        return true;
    }
    if (peekNonSpace() >= 0)
        fail("unexpected text after the end of the JSON array", m_line);
    if (m_records == 0)
        fail("the JSON array is empty (hint: add records, or check that this is the right file)", m_line);
    return false;
}

} // namespace engine::data

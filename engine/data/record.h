// One record read from a dataset file, before any shape is applied: a light
// tree of named fields (JSON objects keep their nesting; CSV/TSV rows and text
// paragraphs are flat string fields) plus where it came from, so every later
// error can name the file and line. Does not interpret the fields (see
// shape.h) and does not own any file handle. Qt-free and Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace engine::data {

// A JSON-like value with a name (empty for array items).
struct Field
{
    enum class Kind { String, Number, Bool, Null, Array, Object };

    std::string name; // key in the parent object; empty for array items and rows' cells
    Kind kind = Kind::String; // what the value is
    std::string text; // String: the value; Number/Bool/Null: the value as written
    std::vector<Field> children; // Array: the items; Object: the members (JSON objects: sorted by key)

    // The member called `key` of an Object (or of a record), or nullptr.
    const Field *member(std::string_view key) const;
};

// "string", "number", "boolean", "null", "array", "object".
const char *kindName(Field::Kind kind);

struct Record
{
    std::string source; // the file it came from, as given to the reader
    std::int64_t line = 0; // 1-based line where the record starts (row for CSV/TSV, element for JSON arrays)
    std::vector<Field> fields; // the top-level members / columns

    const Field *field(std::string_view key) const;
    // "<source>:<line>", the prefix of every message about this record.
    std::string where() const;
};

} // namespace engine::data

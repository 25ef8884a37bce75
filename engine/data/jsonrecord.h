// Parsing one JSON object (a JSONL line or a JSON array element) into a
// Record, with errors that name the file and the line of the problem. Shared
// by the JSONL and JSON-array readers. Internal to engine/data.
#pragma once

#include "engine/data/record.h"

#include <string_view>

namespace engine::data {

// Parses `text`, which starts at `line` of `source`. Throws RecordError for
// invalid UTF-8, invalid JSON or a value that is not an object.
void parseJsonRecord(std::string_view text, const std::string &source, std::int64_t line, Record &out);

// The line of the byte at `offset` in `text` that starts at `firstLine`.
std::int64_t lineAt(std::string_view text, std::size_t offset, std::int64_t firstLine);

} // namespace engine::data

// What the UI needs to list export formats without knowing them: an id, a
// label, a description and the tensor types each format can store. The
// exporters themselves are internal (engine/export/exporter.h). Torch-free.
#pragma once

#include "engine/io/tensordtype.h"

#include <string>
#include <vector>

namespace engine {

struct ExportFormatInfo
{
    std::string id;          // "peft", "merged", "gguf": what ExportRequest::formats and the CLI take
    std::string name;        // label for people, e.g. "PEFT adapter folder"
    std::string description; // one sentence: what it is and who loads it
    std::vector<TensorDtype> dtypes; // the types it can store; the first is the default
};

} // namespace engine

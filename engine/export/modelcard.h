// The README.md model card written next to an exported PEFT adapter: YAML
// front matter the Hugging Face Hub reads (base_model, library_name, tags),
// then the base model, training data, settings and final metrics given as
// plain inputs, and how to load the adapter. Does not compute anything.
// Torch-free.
#pragma once

#include "engine/export/exportjob.h"

#include <string>

namespace engine {

// Markdown text of the card. `baseModel` is the base's name or path.
std::string modelCardMarkdown(const ModelCardInputs &card, const std::string &baseModel);

} // namespace engine

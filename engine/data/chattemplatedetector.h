// Picks the built-in chat template that reproduces a model's Jinja
// chat_template, by recognising marker strings (the heuristics of llama.cpp's
// llm_chat_detect_template, plus checks that the variant is the one we
// render exactly). Unrecognised templates fall back to ChatML with a warning.
// Reads chat_template.jinja / chat_template.json / tokenizer_config.json of a
// model folder; does not run Jinja and does not load the tokenizer.
#pragma once

#include "engine/core/status.h"
#include "engine/data/chattemplate.h"

#include <string>
#include <string_view>

namespace engine::data {

struct TemplateDetection
{
    ChatTemplate chatTemplate; // the built-in template to render with
    bool recognised = false; // false: the fallback (ChatML) is used
    std::string warning; // why the match is missing or approximate; empty when exact
    std::string source; // the file the template came from (model folders); empty otherwise
    std::string jinja; // the template text as found (model folders); empty when the model has none
};

// Recognises a chat_template string (empty: the model has none).
TemplateDetection detectChatTemplate(std::string_view jinja);

// The template of a Hugging Face model folder: chat_template.jinja, else
// chat_template.json, else tokenizer_config.json's "chat_template" (a string
// or a list of {name, template}, where "default" is used); bos_token and
// eos_token strings come from tokenizer_config.json. Fails only when a file
// exists but cannot be read or parsed (the message names the file).
Result<TemplateDetection> detectModelChatTemplate(const std::string &modelFolder);

} // namespace engine::data

// The Ollama Modelfile written next to a GGUF model export: FROM the .gguf,
// optionally ADAPTER a GGUF LoRA, a TEMPLATE in Ollama's Go template syntax
// for the chat templates Lorafit recognises (ChatML, Llama-3, Llama-2,
// Mistral v0.1, Zephyr), PARAMETER stop lines for their end-of-turn markers,
// and the SYSTEM prompt used in training. Unrecognised templates get no
// TEMPLATE line (Ollama then reads tokenizer.chat_template from the GGUF) and
// a warning. Text only; Torch-free.
#pragma once

#include "engine/data/chattemplate.h"

#include <string>
#include <vector>

namespace engine {

struct ModelfileInputs
{
    std::string model;        // FROM, relative to the Modelfile, e.g. "./demo-F16.gguf"
    std::string adapter;      // ADAPTER, relative to the Modelfile; empty: none
    bool templateKnown = false; // chatTemplate is one Lorafit recognised exactly
    data::ChatTemplate chatTemplate; // the model's template (kind, eos, default system prompt)
    std::string systemPrompt; // SYSTEM; empty: the template's default system prompt, if any
};

// The Modelfile text.
std::string ollamaModelfile(const ModelfileInputs &inputs);

// The Go template for a template kind; empty for Alpaca, Raw and Auto.
std::string ollamaTemplate(data::TemplateKind kind);

// The end-of-turn strings to stop at for a template.
std::vector<std::string> ollamaStops(const data::ChatTemplate &chatTemplate);

// "ollama create NAME -f PATH" for a written Modelfile, NAME from its folder.
std::string ollamaCreateCommand(const std::string &modelfilePath);

} // namespace engine

#include "engine/export/ollamamodelfile.h"

#include <cctype>
#include <filesystem>

namespace engine {

namespace {

// A Modelfile value in triple quotes when it spans lines or has quotes, else in plain quotes.
std::string quoted(const std::string &value)
{
    if (value.find('\n') != std::string::npos || value.find('"') != std::string::npos)
        return "\"\"\"" + value + "\"\"\"";
    return "\"" + value + "\"";
}

// Ollama model names: lower case letters, digits, '-', '_' and '.'.
std::string modelName(const std::string &text)
{
    std::string name;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        name += std::isalnum(byte) || c == '-' || c == '_' || c == '.' ? static_cast<char>(std::tolower(byte)) : '-';
    }
    return name.empty() ? std::string("lorafit-model") : name;
}

} // namespace

std::string ollamaTemplate(data::TemplateKind kind)
{
    using data::TemplateKind;
    switch (kind) {
    case TemplateKind::ChatML:
        return "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
               "<|im_start|>assistant\n";
    case TemplateKind::Llama3:
        return "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>"
               "{{- end }}<|start_header_id|>assistant<|end_header_id|>\n\n";
    case TemplateKind::Llama2:
        return "{{- range $i, $m := .Messages }}{{ if eq $m.Role \"user\" }}[INST] {{ if and $.System (le $i 1) }}"
               "<<SYS>>\n{{ $.System }}\n<</SYS>>\n\n{{ end }}{{ $m.Content }} [/INST]{{ else if eq $m.Role "
               "\"assistant\" }} {{ $m.Content }} </s><s>{{ end }}{{ end }}";
    case TemplateKind::Mistral:
        return "{{- range .Messages }}{{ if eq .Role \"user\" }}[INST] {{ .Content }} [/INST]{{ else if eq .Role "
               "\"assistant\" }}{{ .Content }}</s>{{ end }}{{ end }}";
    case TemplateKind::Zephyr:
        return "{{- range .Messages }}<|{{ .Role }}|>\n{{ .Content }}</s>\n{{ end }}<|assistant|>\n";
    case TemplateKind::Auto:
    case TemplateKind::Alpaca:
    case TemplateKind::Raw:
    case TemplateKind::Gemma: // no GGUF export for Gemma and Phi-3 models yet
    case TemplateKind::Phi3:
        return {};
    }
    return {};
}

std::vector<std::string> ollamaStops(const data::ChatTemplate &chatTemplate)
{
    using data::TemplateKind;
    switch (chatTemplate.kind) {
    case TemplateKind::ChatML: return {"<|im_end|>", "<|im_start|>"};
    case TemplateKind::Llama3: return {"<|eot_id|>", "<|start_header_id|>"};
    case TemplateKind::Llama2:
    case TemplateKind::Mistral: return {chatTemplate.eosToken.empty() ? "</s>" : chatTemplate.eosToken, "[INST]"};
    case TemplateKind::Zephyr: return {chatTemplate.eosToken.empty() ? "</s>" : chatTemplate.eosToken, "<|user|>"};
    case TemplateKind::Gemma: return {"<end_of_turn>", "<start_of_turn>"};
    case TemplateKind::Phi3: return {"<|end|>", "<|user|>"};
    default: return {};
    }
}

std::string ollamaModelfile(const ModelfileInputs &inputs)
{
    std::string text = "# Ollama Modelfile written by Lorafit. Create the model with:\n"
                       "#   ollama create NAME -f Modelfile\n";
    text += "FROM " + inputs.model + "\n";
    if (!inputs.adapter.empty())
        text += "ADAPTER " + inputs.adapter + "\n";
    const std::string goTemplate = inputs.templateKnown ? ollamaTemplate(inputs.chatTemplate.kind) : std::string();
    if (!goTemplate.empty()) {
        text += "TEMPLATE " + quoted(goTemplate) + "\n";
        for (const std::string &stop : ollamaStops(inputs.chatTemplate))
            text += "PARAMETER stop " + quoted(stop) + "\n";
    }
    const std::string system = inputs.systemPrompt.empty() ? inputs.chatTemplate.defaultSystem : inputs.systemPrompt;
    if (!system.empty())
        text += "SYSTEM " + quoted(system) + "\n";
    return text;
}

std::string ollamaCreateCommand(const std::string &modelfilePath)
{
    const std::filesystem::path path = std::filesystem::absolute(modelfilePath);
    const std::string name = modelName(path.parent_path().filename().string());
    return "ollama create " + name + " -f " + path.string();
}

} // namespace engine

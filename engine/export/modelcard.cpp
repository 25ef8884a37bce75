#include "engine/export/modelcard.h"

#include <filesystem>
#include <sstream>

namespace engine {

namespace {

// Table cells cannot hold '|' or line breaks.
std::string cell(const std::string &text)
{
    std::string out;
    for (char c : text) {
        if (c == '|')
            out += "\\|";
        else if (c == '\n' || c == '\r')
            out += ' ';
        else
            out += c;
    }
    return out;
}

// A YAML scalar in double quotes.
std::string yamlString(const std::string &text)
{
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

void table(std::ostringstream &out, const char *left, const std::vector<std::pair<std::string, std::string>> &rows)
{
    out << "| " << left << " | value |\n|---|---|\n";
    for (const auto &[key, value] : rows)
        out << "| " << cell(key) << " | " << cell(value) << " |\n";
}

} // namespace

std::string modelCardMarkdown(const ModelCardInputs &card, const std::string &baseModel)
{
    const std::string baseName = std::filesystem::path(baseModel).filename().string();
    std::ostringstream out;
    out << "---\nbase_model: " << yamlString(baseModel) << "\nlibrary_name: peft\ntags:\n- lora\n- lorafit\n---\n\n";
    out << "# " << (card.title.empty() ? baseName + " LoRA adapter" : card.title) << "\n\n";
    out << "A LoRA adapter for `" << baseModel << "`, trained with Lorafit.\n\n";
    out << "## Training data\n\n" << (card.data.empty() ? std::string("Not recorded.") : card.data) << "\n\n";
    out << "## Settings\n\n";
    if (card.settings.empty())
        out << "See `adapter_config.json`.\n";
    else
        table(out, "setting", card.settings);
    out << "\n";
    out << "## Final metrics\n\n";
    if (card.metrics.empty())
        out << "Not recorded.\n";
    else
        table(out, "metric", card.metrics);
    out << "\n";
    out << "## Use\n\n```python\nfrom transformers import AutoModelForCausalLM\nfrom peft import PeftModel\n\n"
        << "base = AutoModelForCausalLM.from_pretrained(" << yamlString(baseModel) << ")\n"
        << "model = PeftModel.from_pretrained(base, \"path/to/this/folder\")\n```\n";
    return out.str();
}

} // namespace engine

// Template recognition by marker strings and the model-folder look-up order.
#include "engine/data/chattemplatedetector.h"

#include "engine/core/atomicfile.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace engine::data {

namespace {

using Json = nlohmann::json;

bool has(std::string_view text, std::string_view marker)
{
    return text.find(marker) != std::string_view::npos;
}

TemplateDetection exact(TemplateKind kind)
{
    return { builtinTemplate(kind), true, {}, {}, {} };
}

TemplateDetection approximate(TemplateKind kind, std::string warning)
{
    return { builtinTemplate(kind), true, std::move(warning), {}, {} };
}

TemplateDetection fallback(std::string warning)
{
    return { builtinTemplate(TemplateKind::ChatML), false, std::move(warning), {}, {} };
}

TemplateDetection detectChatMl(std::string_view jinja)
{
    if (has(jinja, "<|im_sep|>"))
        return fallback("the model's chat template (Phi-4 style, <|im_sep|>) has no built-in equivalent; rendering "
                        "as ChatML (hint: choose a template in the dataset settings)");
    TemplateDetection d = exact(TemplateKind::ChatML);
    const char kQwen25[] = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
    const char kQwen2[] = "You are a helpful assistant.";
    if (has(jinja, kQwen25))
        d.chatTemplate.defaultSystem = kQwen25;
    else if (has(jinja, kQwen2))
        d.chatTemplate.defaultSystem = kQwen2;
    if (has(jinja, "tools"))
        d.warning = "the model's ChatML template also handles tools; conversations with tool calls are not supported";
    return d;
}

TemplateDetection detectInst(std::string_view jinja)
{
    if (has(jinja, "[SYSTEM_PROMPT]"))
        return approximate(TemplateKind::Mistral,
            "the model's template is Mistral v7 ([SYSTEM_PROMPT]); rendering "
            "as Mistral v0.1, whose spacing and system handling differ");
    if (has(jinja, "<<SYS>>"))
        return has(jinja, "content.strip()") || has(jinja, "| trim")
            ? exact(TemplateKind::Llama2)
            : approximate(TemplateKind::Llama2,
                "the model's Llama-2 template does not strip contents; "
                "rendering with Llama-2's stripping");
    if (has(jinja, "'[INST] ' + message['content'] + ' [/INST]'") && has(jinja, "message['content'] + eos_token"))
        return exact(TemplateKind::Mistral);
    return approximate(TemplateKind::Mistral,
        "the model's [INST] template is a later Mistral variant; rendering as "
        "Mistral v0.1, whose spacing may differ");
}

} // namespace

TemplateDetection detectChatTemplate(std::string_view jinja)
{
    if (jinja.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return fallback("the model has no chat template (a base model?); rendering conversations as ChatML "
                        "(hint: choose a template in the dataset settings)");
    if (has(jinja, "<|im_start|>"))
        return detectChatMl(jinja);
    if (has(jinja, "<|start_header_id|>") && has(jinja, "<|end_header_id|>")) {
        if (has(jinja, "Cutting Knowledge Date"))
            return approximate(TemplateKind::Llama3,
                "the model's template is Llama-3.1 or later; its dated system "
                "header and tool handling are not reproduced (rendering as "
                "Llama-3.0)");
        return exact(TemplateKind::Llama3);
    }
    if (has(jinja, "[INST]"))
        return detectInst(jinja);
    if (has(jinja, "<|user|>") && has(jinja, "<|assistant|>")) {
        if (has(jinja, "<|end|>"))
            return has(jinja, "<|user|>\\n") || has(jinja, "<|user|>\n")
                ? exact(TemplateKind::Phi3)
                : approximate(TemplateKind::Phi3,
                    "the model's template is Phi-4-mini style (no newline after the role); rendering as "
                    "Phi-3, which puts one there");
        return exact(TemplateKind::Zephyr);
    }
    if (has(jinja, "### Instruction:") && has(jinja, "### Response:"))
        return exact(TemplateKind::Alpaca);
    if (has(jinja, "<start_of_turn>"))
        return has(jinja, "first_user_prefix") || !has(jinja, "System role not supported")
            ? exact(TemplateKind::Gemma)
            : approximate(TemplateKind::Gemma,
                "the model's Gemma template refuses system messages; Lorafit puts them before the first user "
                "turn as Gemma 3 does");
    return fallback("the model's chat template is not one Lorafit recognises; rendering as ChatML (hint: choose "
                    "a template in the dataset settings)");
}

namespace {

std::string tokenText(const Json &config, const char *key)
{
    const auto it = config.find(key);
    if (it == config.end())
        return {};
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
        return (*it)["content"].get<std::string>();
    return {};
}

Json readJson(const std::string &path)
{
    try {
        return Json::parse(readFile(path));
    } catch (const Json::parse_error &e) {
        throw Error(path + ": invalid JSON: " + e.what());
    }
}

// chat_template as a string or as a list of {name, template}.
std::string templateFromConfig(const Json &config, const std::string &path)
{
    const auto it = config.find("chat_template");
    if (it == config.end() || it->is_null())
        return {};
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_array()) {
        for (const Json &entry : *it)
            if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template")
                && entry["template"].is_string())
                return entry["template"].get<std::string>();
        throw Error(path
            + ": 'chat_template' is a list without a \"default\" entry (hint: choose a template in the "
              "dataset settings)");
    }
    throw Error(path + ": 'chat_template' must be a string or a list");
}

TemplateDetection detectInFolder(const std::string &folder)
{
    namespace fs = std::filesystem;
    const fs::path root(folder);
    std::error_code ec;
    std::string jinja;
    std::string source;
    Json tokenizerConfig = Json::object();
    const std::string configPath = (root / "tokenizer_config.json").string();
    if (fs::exists(configPath, ec))
        tokenizerConfig = readJson(configPath);
    if (const std::string path = (root / "chat_template.jinja").string(); fs::exists(path, ec)) {
        jinja = readFile(path);
        source = path;
    } else if (const std::string jsonPath = (root / "chat_template.json").string(); fs::exists(jsonPath, ec)) {
        jinja = templateFromConfig(readJson(jsonPath), jsonPath);
        source = jsonPath;
    } else if (tokenizerConfig.is_object()) {
        jinja = templateFromConfig(tokenizerConfig, configPath);
        source = jinja.empty() ? std::string() : configPath;
    }
    TemplateDetection d = detectChatTemplate(jinja);
    d.source = source;
    d.jinja = jinja;
    if (tokenizerConfig.is_object()) {
        if (std::string bos = tokenText(tokenizerConfig, "bos_token"); !bos.empty() && !d.chatTemplate.bosToken.empty())
            d.chatTemplate.bosToken = bos;
        if (std::string eos = tokenText(tokenizerConfig, "eos_token");
            !eos.empty() && d.chatTemplate.kind != TemplateKind::ChatML && d.chatTemplate.kind != TemplateKind::Llama3)
            d.chatTemplate.eosToken = eos;
    }
    return d;
}

} // namespace

Result<TemplateDetection> detectModelChatTemplate(const std::string &modelFolder)
{
    return guard([&] { return detectInFolder(modelFolder); });
}

} // namespace engine::data

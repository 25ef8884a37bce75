// The built-in templates, each a direct transcription of its Jinja source
// (quoted in formats.md §6.2) with the assistant parts marked as trained.
#include "engine/data/chattemplate.h"

#include "engine/core/status.h"

#include <string_view>

namespace engine::data {

namespace {

const char kAlpacaWithInput[] = "Below is an instruction that describes a task, paired with an input that provides "
                                "further context. Write a response that appropriately completes the request.\n\n";
const char kAlpacaNoInput[]
    = "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n";

// Appends text to segments, merging neighbours with the same flag.
class SegmentWriter
{
public:
    void add(std::string_view text, bool trained)
    {
        if (text.empty())
            return;
        if (m_segments.empty() || m_segments.back().trained != trained)
            m_segments.push_back({ std::string(), trained });
        m_segments.back().text.append(text);
    }
    void masked(std::string_view text) { add(text, false); }
    std::vector<Segment> take() { return std::move(m_segments); }

private:
    std::vector<Segment> m_segments;
};

// Length of the Unicode whitespace code point (Python's str.isspace) ending / starting at a position, or 0.
std::size_t spaceAt(std::string_view s, std::size_t i)
{
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F))
        return 1;
    auto is = [&](const char *seq, std::size_t n) { return s.compare(i, n, seq) == 0; };
    if (is("\xC2\x85", 2) || is("\xC2\xA0", 2))
        return 2;
    if (i + 3 <= s.size() && c == 0xE2) {
        const auto c1 = static_cast<unsigned char>(s[i + 1]);
        const auto c2 = static_cast<unsigned char>(s[i + 2]);
        if ((c1 == 0x80 && (c2 <= 0x8A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF)) || (c1 == 0x81 && c2 == 0x9F))
            return 3;
    }
    if (is("\xE1\x9A\x80", 3) || is("\xE3\x80\x80", 3))
        return 3;
    return 0;
}

// Python's str.strip() (Jinja's trim filter).
std::string strip(std::string_view s)
{
    std::size_t begin = 0;
    while (begin < s.size()) {
        const std::size_t n = spaceAt(s, begin);
        if (n == 0)
            break;
        begin += n;
    }
    std::size_t end = s.size();
    while (end > begin) {
        std::size_t n = 0;
        for (std::size_t width = 1; width <= 3 && width <= end - begin && n == 0; ++width)
            if (spaceAt(s, end - width) == width)
                n = width;
        if (n == 0)
            break;
        end -= n;
    }
    return std::string(s.substr(begin, end - begin));
}

void requireAlternation(const std::vector<Message> &messages, std::size_t first)
{
    for (std::size_t i = first; i < messages.size(); ++i)
        if ((messages[i].role == "user") != ((i - first) % 2 == 0))
            throw Error("Conversation roles must alternate user/assistant/user/assistant/... (message "
                + std::to_string(i + 1) + " is '" + messages[i].role
                + "') (hint: this template takes no system message and needs user/assistant turns)");
}

std::vector<Segment> renderChatMl(const ChatTemplate &t, const std::vector<Message> &messages, bool generation)
{
    SegmentWriter w;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const Message &m = messages[i];
        if (i == 0 && m.role != "system" && !t.defaultSystem.empty())
            w.masked("<|im_start|>system\n" + t.defaultSystem + "<|im_end|>\n");
        w.masked("<|im_start|>" + m.role + "\n");
        const bool trained = m.role == "assistant" && m.trained;
        w.add(m.content + "<|im_end|>", trained);
        w.masked("\n");
    }
    if (generation)
        w.masked("<|im_start|>assistant\n");
    return w.take();
}

std::vector<Segment> renderLlama3(const ChatTemplate &t, const std::vector<Message> &messages, bool generation)
{
    SegmentWriter w;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const Message &m = messages[i];
        if (i == 0)
            w.masked(t.bosToken);
        w.masked("<|start_header_id|>" + m.role + "<|end_header_id|>\n\n");
        w.add(strip(m.content) + "<|eot_id|>", m.role == "assistant" && m.trained);
    }
    if (generation)
        w.masked("<|start_header_id|>assistant<|end_header_id|>\n\n");
    return w.take();
}

std::vector<Segment> renderLlama2(const ChatTemplate &t, const std::vector<Message> &messages)
{
    const bool hasSystem = !messages.empty() && messages[0].role == "system";
    const std::size_t first = hasSystem ? 1 : 0;
    requireAlternation(messages, first);
    SegmentWriter w;
    for (std::size_t i = first; i < messages.size(); ++i) {
        const Message &m = messages[i];
        std::string content = m.content;
        if (i == first && hasSystem)
            content = "<<SYS>>\n" + messages[0].content + "\n<</SYS>>\n\n" + m.content;
        if (m.role == "user")
            w.masked(t.bosToken + "[INST] " + strip(content) + " [/INST]");
        else if (m.role == "assistant")
            w.add(" " + strip(content) + " " + t.eosToken, m.trained);
    }
    return w.take();
}

std::vector<Segment> renderMistral(const ChatTemplate &t, const std::vector<Message> &messages)
{
    requireAlternation(messages, 0);
    SegmentWriter w;
    w.masked(t.bosToken);
    for (const Message &m : messages) {
        if (m.role == "user")
            w.masked("[INST] " + m.content + " [/INST]");
        else if (m.role == "assistant")
            w.add(m.content + t.eosToken, m.trained);
        else
            throw Error("Only user and assistant roles are supported! (hint: the Mistral v0.1 template has no system "
                        "role)");
    }
    return w.take();
}

std::vector<Segment> renderZephyr(const ChatTemplate &t, const std::vector<Message> &messages, bool generation)
{
    SegmentWriter w;
    for (const Message &m : messages) {
        if (m.role == "assistant") {
            w.masked("<|assistant|>\n");
            w.add(m.content + t.eosToken, m.trained);
            w.masked("\n");
        } else if (m.role == "user" || m.role == "system") {
            w.masked("<|" + m.role + "|>\n" + m.content + t.eosToken + "\n");
        }
    }
    if (generation && !messages.empty())
        w.masked("<|assistant|>\n");
    return w.take();
}

// Gemma 3's template (Gemma 2's without system messages): bos, then
// <start_of_turn>user|model\n + trimmed content + <end_of_turn>\n per turn;
// a system message goes, untrimmed and followed by a blank line, before the
// first user turn's content.
std::vector<Segment> renderGemma(const ChatTemplate &t, const std::vector<Message> &messages, bool generation)
{
    const bool hasSystem = !messages.empty() && messages[0].role == "system";
    const std::size_t first = hasSystem ? 1 : 0;
    requireAlternation(messages, first);
    SegmentWriter w;
    w.masked(t.bosToken);
    for (std::size_t i = first; i < messages.size(); ++i) {
        const Message &m = messages[i];
        const bool assistant = m.role == "assistant";
        w.masked("<start_of_turn>" + (assistant ? std::string("model") : m.role) + "\n"
            + (i == first && hasSystem ? messages[0].content + "\n\n" : std::string()));
        w.add(strip(m.content) + "<end_of_turn>", assistant && m.trained);
        w.masked("\n");
    }
    if (generation)
        w.masked("<start_of_turn>model\n");
    return w.take();
}

// Phi-3.5's template (Phi-3's, which also writes an empty system message):
// <|role|>\n + content + <|end|>\n per message, then the generation prompt
// <|assistant|>\n or eos_token.
std::vector<Segment> renderPhi3(const ChatTemplate &t, const std::vector<Message> &messages, bool generation)
{
    SegmentWriter w;
    for (const Message &m : messages) {
        if ((m.role == "system" && m.content.empty()) || (m.role != "system" && m.role != "user" && m.role != "assistant"))
            continue;
        w.masked("<|" + m.role + "|>\n");
        w.add(m.content + "<|end|>", m.role == "assistant" && m.trained);
        w.masked("\n");
    }
    w.masked(generation ? std::string("<|assistant|>\n") : t.eosToken);
    return w.take();
}

// Lorafit's layout for conversations in the Alpaca style: the no-input
// preamble (or the system message), then "### Instruction:" / "### Response:"
// pairs; a single exchange renders exactly like the original Alpaca prompt.
std::vector<Segment> renderAlpaca(const ChatTemplate &t, const std::vector<Message> &messages, bool generation)
{
    SegmentWriter w;
    const bool hasSystem = !messages.empty() && messages[0].role == "system";
    w.masked(hasSystem ? messages[0].content + "\n\n" : std::string(kAlpacaNoInput));
    bool afterAnswer = false;
    for (std::size_t i = hasSystem ? 1 : 0; i < messages.size(); ++i) {
        const Message &m = messages[i];
        if (m.role == "assistant") {
            w.add(m.content + t.eosToken, m.trained);
            afterAnswer = true;
            continue;
        }
        w.masked(std::string(afterAnswer ? "\n\n" : "") + "### Instruction:\n" + m.content + "\n\n### Response:");
        afterAnswer = false;
    }
    (void)generation; // the prompt already ends with "### Response:"
    return w.take();
}

// Contents only: one message per line; assistant contents end with eos.
std::vector<Segment> renderRaw(const ChatTemplate &t, const std::vector<Message> &messages)
{
    SegmentWriter w;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const Message &m = messages[i];
        if (i > 0)
            w.masked("\n");
        if (m.role == "assistant")
            w.add(m.content + t.eosToken, m.trained);
        else
            w.masked(m.content);
    }
    return w.take();
}

} // namespace

ChatTemplate builtinTemplate(TemplateKind kind)
{
    switch (kind) {
    case TemplateKind::Llama3:
        return { kind, "<|begin_of_text|>", "<|eot_id|>", {} };
    case TemplateKind::Llama2:
    case TemplateKind::Mistral:
    case TemplateKind::Zephyr:
        return { kind, "<s>", "</s>", {} };
    case TemplateKind::Alpaca:
    case TemplateKind::Raw:
        return { kind, {}, "</s>", {} };
    case TemplateKind::Gemma:
        return { kind, "<bos>", "<eos>", {} };
    case TemplateKind::Phi3:
        return { kind, {}, "<|endoftext|>", {} };
    case TemplateKind::Auto:
    case TemplateKind::ChatML:
        break;
    }
    return { TemplateKind::ChatML, {}, "<|im_end|>", {} };
}

std::vector<Segment> renderChat(const ChatTemplate &t, const std::vector<Message> &messages, bool addGenerationPrompt)
{
    switch (t.kind) {
    case TemplateKind::Llama3:
        return renderLlama3(t, messages, addGenerationPrompt);
    case TemplateKind::Llama2:
        return renderLlama2(t, messages);
    case TemplateKind::Mistral:
        return renderMistral(t, messages);
    case TemplateKind::Zephyr:
        return renderZephyr(t, messages, addGenerationPrompt);
    case TemplateKind::Alpaca:
        return renderAlpaca(t, messages, addGenerationPrompt);
    case TemplateKind::Raw:
        return renderRaw(t, messages);
    case TemplateKind::Gemma:
        return renderGemma(t, messages, addGenerationPrompt);
    case TemplateKind::Phi3:
        return renderPhi3(t, messages, addGenerationPrompt);
    case TemplateKind::Auto:
    case TemplateKind::ChatML:
        break;
    }
    return renderChatMl(t, messages, addGenerationPrompt);
}

std::string alpacaPrompt(const std::string &instruction, const std::string &input)
{
    if (input.empty())
        return kAlpacaNoInput + ("### Instruction:\n" + instruction + "\n\n### Response:");
    return kAlpacaWithInput + ("### Instruction:\n" + instruction + "\n\n### Input:\n" + input + "\n\n### Response:");
}

std::string joinSegments(const std::vector<Segment> &segments)
{
    std::string text;
    for (const Segment &s : segments)
        text += s.text;
    return text;
}

} // namespace engine::data

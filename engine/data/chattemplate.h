// Built-in chat templates (formats.md §6.2) rendered without a Jinja engine:
// ChatML, Llama-3, Llama-2, Mistral v0.1, Zephyr, Gemma, Phi-3, plus Lorafit's Alpaca and
// raw conversation layouts. Output is a list of segments (text + trained
// flag), so loss masks can be built at token level from segment boundaries;
// joined, the segments equal transformers' apply_chat_template text byte for
// byte. Does not detect templates (chattemplatedetector.h). Qt/Torch-free.
#pragma once

#include "engine/data/datasetconfig.h"
#include "engine/data/sample.h"

#include <string>
#include <vector>

namespace engine::data {

// A piece of rendered text and whether its tokens carry loss.
struct Segment
{
    std::string text;
    bool trained = false;
};

struct ChatTemplate
{
    TemplateKind kind = TemplateKind::ChatML; // never Auto once resolved
    std::string bosToken; // what the template writes as bos_token (Llama-3/2, Mistral); empty: none
    std::string eosToken; // eos_token (Llama-2, Mistral, Zephyr; appended after Alpaca/raw answers)
    std::string defaultSystem; // ChatML: system prompt inserted when a conversation has none (Qwen2); empty: none
};

// A template with its usual special-token strings: Llama-3 "<|begin_of_text|>",
// Llama-2 / Mistral / Zephyr "<s>" and "</s>", ChatML "<|im_end|>" as eos,
// Alpaca / raw "</s>", Gemma "<bos>" (its turns end in <end_of_turn>), Phi-3
// "<|endoftext|>". Auto gives ChatML.
ChatTemplate builtinTemplate(TemplateKind kind);

// Renders a conversation. Assistant turns (content and end-of-turn marker)
// are trained unless the message says otherwise; everything else (system and
// user turns, assistant headers, the generation prompt) is masked.
// addGenerationPrompt appends the assistant header (ignored by Llama-2, as its
// template does). Throws engine::Error for conversations the template refuses
// (Llama-2 / Mistral / Gemma: roles must alternate user/assistant; Mistral
// v0.1: no system message), with the template's own wording.
std::vector<Segment> renderChat(
    const ChatTemplate &chatTemplate, const std::vector<Message> &messages, bool addGenerationPrompt = false);

// The original Stanford Alpaca prompt (tatsu-lab/stanford_alpaca PROMPT_DICT),
// ending in "### Response:"; the answer follows directly.
std::string alpacaPrompt(const std::string &instruction, const std::string &input);

// Concatenated segment texts.
std::string joinSegments(const std::vector<Segment> &segments);

} // namespace engine::data

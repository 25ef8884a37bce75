// DatasetConfig: how a dataset is read, shaped, rendered, masked, packed and
// split, as plain fields with defaults. It is stored in project files, so it
// serialises to versioned JSON (toJson / datasetConfigFromJson). It does not
// read any data itself (see DataLoader and previewDataset). Qt-free and
// Torch-free.
#pragma once

#include "engine/core/status.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine::data {

// What one record holds (formats.md §7.1-7.2).
enum class Shape {
    Auto, // detect from the first record's fields
    Text, // {"text": str} or a .txt paragraph: language modelling, loss on every token
    PromptCompletion, // {"prompt", "completion"} as strings or as lists of messages
    Alpaca, // {"instruction", "input", "output"} with the original Alpaca prompt
    Messages, // {"messages": [{"role", "content"}]} (OpenAI / TRL)
    ShareGpt, // {"conversations": [{"from", "value"}]} (or role/content inside)
    Classification, // {"text", "label"} (+ optional second text); GLUE SST-2 / MNLI TSV
    Preference, // {"prompt" | "messages", "chosen", "rejected"}: answer pairs for DPO / ORPO (training.objective)
};

// How conversations become text (formats.md §6.2).
enum class TemplateKind {
    Auto, // the model's chat_template when recognised, else ChatML (chat) / Alpaca (instructions)
    ChatML, // <|im_start|>role\n...<|im_end|>\n (Qwen2 and many others)
    Llama3, // <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
    Llama2, // <s>[INST] <<SYS>>...<</SYS>> ... [/INST] ... </s>
    Mistral, // <s>[INST] ... [/INST]...</s> (v0.1, no system message)
    Zephyr, // <|user|>\n...</s>\n
    Alpaca, // ### Instruction: / ### Response: (the original Stanford Alpaca wording)
    Raw, // contents only, one message per line, no markup
    Gemma, // <bos><start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n... (Gemma 2/3; system before the first user turn)
    Phi3, // <|user|>\n...<|end|>\n<|assistant|>\n...<|end|>\n (Phi-3, Phi-3.5), eos after the last turn
};

// Which tokens carry loss.
enum class LossOn {
    Auto, // Completion for prompt/completion, Alpaca and chat data; All for plain text
    Completion, // completions and assistant turns (with their end-of-turn token) only
    All, // every token except padding
};

// What a document is in a .txt file.
enum class TextUnit {
    Paragraph, // paragraphs separated by one or more blank lines
    File, // the whole file is one document
};

struct DatasetConfig
{
    static constexpr int kVersion = 1; // of the JSON form

    std::string trainPath; // a file (.jsonl .json .csv .tsv .txt) or a folder of them
    std::string validationPath; // a separate validation file or folder; empty: split from trainPath
    double validationFraction = 0.0; // share of training records held out when validationPath is empty, [0, 0.5]
    Shape shape = Shape::Auto; // record shape; Auto detects it
    // Canonical field -> the name used in the file. Canonical names: text, text_pair, label, prompt,
    // completion, instruction, input, output, messages, conversations, role, content, system,
    // chosen, rejected.
    std::map<std::string, std::string> fieldMap;
    // Extra role names -> system | user | assistant (human, gpt, bot, model are built in).
    std::map<std::string, std::string> roleMap;
    TemplateKind chatTemplate = TemplateKind::Auto; // rendering of conversations
    std::string systemPrompt; // system message added to conversations that have none; empty: none
    LossOn lossOn = LossOn::Auto; // which tokens are trained
    int maxLength = 1024; // tokens per sequence; longer examples are truncated (and counted)
    bool packing = false; // pack several examples into each sequence of maxLength tokens
    bool shuffle = true; // shuffle the training order each epoch
    std::uint64_t seed = 42; // for shuffling and the validation split
    bool skipBadRecords = false; // skip malformed records (they are counted and reported) instead of failing
    TextUnit textUnit = TextUnit::Paragraph; // documents in .txt files
    std::string pairSeparator = "\n"; // joins the two texts of a sentence-pair classification record
    std::vector<std::string> labels; // class names in id order; empty: the distinct labels found, sorted
    std::int64_t maxRecordBytes = 16 << 20; // a record (line) larger than this is refused as absurd

    // Checks ranges and names; the message names the field.
    Status validate() const;
    // The field name in the file for a canonical name (fieldMap, else the canonical name).
    std::string fieldName(const std::string &canonical) const;
};

// Versioned JSON ({"version": 1, ...}); every field is written.
std::string toJson(const DatasetConfig &config);
// Missing keys keep their defaults; unknown keys are ignored; a wrong type or
// an unknown enum name fails naming the key; a newer version is refused.
Result<DatasetConfig> datasetConfigFromJson(std::string_view json);

const char *shapeName(Shape shape); // "auto", "text", "prompt_completion", "alpaca", "messages", "sharegpt",
                                    // "classification", "preference"
const char *templateName(
    TemplateKind kind); // "auto", "chatml", "llama3", "llama2", "mistral", "zephyr", "alpaca", "raw", "gemma", "phi3"
const char *lossOnName(LossOn lossOn); // "auto", "completion", "all"
const char *textUnitName(TextUnit unit); // "paragraph", "file"
std::optional<Shape> shapeFromName(std::string_view name);
std::optional<TemplateKind> templateFromName(std::string_view name);
std::optional<LossOn> lossOnFromName(std::string_view name);
std::optional<TextUnit> textUnitFromName(std::string_view name);

} // namespace engine::data

// Sample: one record after its shape has been applied: the texts, messages
// and label a renderer needs, with roles already mapped to system / user /
// assistant. Plain data; produced by ShapeParser, consumed by renderSample.
// Qt-free and Torch-free.
#pragma once

#include "engine/data/datasetconfig.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine::data {

struct Message
{
    std::string role; // "system", "user" or "assistant"
    std::string content; // as in the file
    bool trained = true; // false for assistant turns marked "weight": 0 (OpenAI format)
};

struct Sample
{
    Shape shape = Shape::Text;
    std::string source; // file of the record
    std::int64_t line = 0; // line of the record
    std::string text; // Text; Classification: the (first) sentence
    std::string textPair; // Classification: the second sentence (MNLI), may be empty
    std::string label; // Classification: the label as written
    std::string prompt; // PromptCompletion with strings
    std::string completion; // PromptCompletion with strings
    std::string instruction; // Alpaca
    std::string input; // Alpaca, may be empty
    std::string output; // Alpaca
    std::vector<Message> messages; // Messages, ShareGpt, conversational PromptCompletion; Preference: the conversation so far
    // Preference: the two answers to `prompt` (or to `messages`), each one or more assistant messages.
    std::vector<Message> chosen;
    std::vector<Message> rejected;
};

} // namespace engine::data

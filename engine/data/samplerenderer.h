// Turns a Sample into rendered segments (text + trained flag): plain text
// with eos, prompt + completion + eos, the original Alpaca prompt + output +
// eos, conversations through a chat template, or classification text. Which
// parts carry loss follows LossOn. Does not tokenize (exampletokenizer.h).
// Qt-free and Torch-free.
#pragma once

#include "engine/data/chattemplate.h"
#include "engine/data/datasetconfig.h"
#include "engine/data/sample.h"

#include <string>
#include <vector>

namespace engine::data {

// How special tokens reach the ids.
enum class SpecialPolicy {
    Template, // the rendered text carries them (chat templates): encode without adding any
    AddBos, // prepend BOS when the tokenizer's post-processor would (plain text, completions, Alpaca)
    PostProcessor, // encode the whole text with the post-processor (classification, e.g. [CLS] ... [SEP])
};

struct RenderOptions
{
    ChatTemplate chatTemplate; // resolved template for conversations
    LossOn lossOn = LossOn::Auto; // Auto: completion-only except for plain text
    std::string systemPrompt; // added to conversations without a system message; empty: none
    std::string eosText = "</s>"; // appended after plain text, completions and Alpaca outputs
    std::string pairSeparator = "\n"; // between the two texts of a classification pair
    bool alpacaAsChat = false; // render Alpaca records as a user/assistant exchange with chatTemplate
};

// Preference data: each record renders as two examples in a row, chosen then rejected.
enum class PairRole { None, Chosen, Rejected };
const char *pairRoleName(PairRole role); // "", "chosen", "rejected"

struct RenderedExample
{
    std::vector<Segment> segments;
    SpecialPolicy special = SpecialPolicy::Template;
    std::string label; // classification label as written; empty otherwise
    std::string source; // record location, for messages
    std::int64_t line = 0;
    PairRole pairRole = PairRole::None; // which answer of a preference record this is
};

// Renders `sample`; throws RecordError naming the record when the template
// refuses the conversation.
void renderSample(const Sample &sample, const RenderOptions &options, RenderedExample &out);

// A preference record's two examples: the prompt (masked) followed by the
// chosen, respectively the rejected answer (trained). A string prompt with
// string answers renders as prompt + answer + eos (no template); a
// conversation renders through the chat template. Throws like renderSample.
void renderPreference(const Sample &sample, const RenderOptions &options, RenderedExample &chosen,
    RenderedExample &rejected);

} // namespace engine::data

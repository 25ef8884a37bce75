// renderSample: one function per shape, then the LossOn=All override.
#include "engine/data/samplerenderer.h"

#include "engine/data/recorderror.h"

namespace engine::data {

namespace {

std::vector<Message> withSystemPrompt(const std::vector<Message> &messages, const std::string &systemPrompt)
{
    if (systemPrompt.empty() || (!messages.empty() && messages[0].role == "system"))
        return messages;
    std::vector<Message> out;
    out.reserve(messages.size() + 1);
    out.push_back({ "system", systemPrompt, true });
    out.insert(out.end(), messages.begin(), messages.end());
    return out;
}

std::vector<Segment> renderConversation(
    const Sample &sample, const std::vector<Message> &messages, const RenderOptions &options)
{
    try {
        return renderChat(options.chatTemplate, withSystemPrompt(messages, options.systemPrompt));
    } catch (const RecordError &) {
        throw;
    } catch (const Error &e) {
        throw RecordError(sample.source + ":" + std::to_string(sample.line) + ": " + e.what());
    }
}

std::vector<Segment> renderPlain(const Sample &sample, const RenderOptions &options, SpecialPolicy &special)
{
    special = SpecialPolicy::AddBos;
    switch (sample.shape) {
    case Shape::Text:
        return { { sample.text + options.eosText, true } };
    case Shape::PromptCompletion:
        return { { sample.prompt, false }, { sample.completion + options.eosText, true } };
    case Shape::Alpaca:
        return { { alpacaPrompt(sample.instruction, sample.input), false }, { sample.output + options.eosText, true } };
    case Shape::Classification:
        special = SpecialPolicy::PostProcessor;
        return { { sample.textPair.empty() ? sample.text : sample.text + options.pairSeparator + sample.textPair,
            false } };
    default:
        break;
    }
    return {};
}

} // namespace

void renderSample(const Sample &sample, const RenderOptions &options, RenderedExample &out)
{
    out.source = sample.source;
    out.line = sample.line;
    out.label = sample.label;
    out.pairRole = PairRole::None;
    out.special = SpecialPolicy::Template;
    if (sample.shape == Shape::Messages || sample.shape == Shape::ShareGpt) {
        out.segments = renderConversation(sample, sample.messages, options);
    } else if (sample.shape == Shape::Alpaca && options.alpacaAsChat) {
        const std::string user = sample.input.empty() ? sample.instruction : sample.instruction + "\n\n" + sample.input;
        out.segments
            = renderConversation(sample, { { "user", user, true }, { "assistant", sample.output, true } }, options);
    } else {
        out.segments = renderPlain(sample, options, out.special);
    }
    if (options.lossOn == LossOn::All && out.special != SpecialPolicy::PostProcessor) {
        std::string all = joinSegments(out.segments);
        out.segments.assign(1, { std::move(all), true });
    }
    // Empty segments would only create empty token runs.
    std::vector<Segment> kept;
    kept.reserve(out.segments.size());
    for (Segment &s : out.segments)
        if (!s.text.empty())
            kept.push_back(std::move(s));
    out.segments.swap(kept);
}

namespace {

// The prompt of a preference record with one of its answers, as a sample of the usual shapes.
Sample answeredSample(const Sample &sample, const std::vector<Message> &answer)
{
    Sample out;
    out.source = sample.source;
    out.line = sample.line;
    if (sample.messages.empty() && answer.size() == 1) {
        out.shape = Shape::PromptCompletion;
        out.prompt = sample.prompt;
        out.completion = answer.front().content;
        return out;
    }
    out.shape = Shape::Messages;
    out.messages = sample.messages;
    if (out.messages.empty())
        out.messages.push_back({ "user", sample.prompt, false });
    out.messages.insert(out.messages.end(), answer.begin(), answer.end());
    return out;
}

} // namespace

const char *pairRoleName(PairRole role)
{
    switch (role) {
    case PairRole::Chosen: return "chosen";
    case PairRole::Rejected: return "rejected";
    case PairRole::None: break;
    }
    return "";
}

void renderPreference(
    const Sample &sample, const RenderOptions &options, RenderedExample &chosen, RenderedExample &rejected)
{
    RenderOptions answersOnly = options;
    answersOnly.lossOn = LossOn::Completion; // the preference losses compare the answers' log-probabilities
    renderSample(answeredSample(sample, sample.chosen), answersOnly, chosen);
    renderSample(answeredSample(sample, sample.rejected), answersOnly, rejected);
    chosen.pairRole = PairRole::Chosen;
    rejected.pairRole = PairRole::Rejected;
}

} // namespace engine::data

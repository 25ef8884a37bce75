// The generation loop (see textgenerator.h). GenerationRun holds the state of
// one call: the cache, the sampler, the streaming decoder and the stop-string
// matcher; run() reads top to bottom as prefill, then sample / emit / forward.
#include "engine/generate/textgenerator.h"

#include "engine/core/status.h"
#include "engine/core/stopwatch.h"
#include "engine/generate/sampler.h"
#include "engine/generate/stopmatcher.h"
#include "engine/tokenizer/streamdecoder.h"

#include <algorithm>
#include <set>

namespace engine {

namespace {


class GenerationRun
{
public:
    GenerationRun(const CausalLm &model, const Tokenizer &tokenizer, const std::vector<TokenId> &stopIds,
        const GenerationOptions &options, const TextCallback &onText, const std::atomic<bool> *cancel)
        : m_model(model)
        , m_stopIds(stopIds.begin(), stopIds.end())
        , m_options(options)
        , m_onText(onText)
        , m_cancel(cancel)
        , m_sampler(options)
        , m_decoder(tokenizer, /*skipSpecial=*/true)
        , m_matcher(options.stopStrings)
        , m_cache(model.makeCache())
        , m_device(model.module().parameters().front().device())
    { }

    GenerationResult run(const std::vector<TokenId> &promptIds);

private:
    bool cancelled() const { return (m_cancel && m_cancel->load()) || !m_callbackAlive; }
    torch::Tensor forward(const std::vector<TokenId> &ids, std::int64_t startPos); // (V) logits of the last id
    // Streams a piece through the stop matcher to the result and the callback.
    void emit(const std::string &piece);
    void deliver(const std::string &text);
    // Flushes the decoder and the matcher at the end of generation.
    void finish();

    const CausalLm &m_model;
    std::set<TokenId> m_stopIds;
    const GenerationOptions &m_options;
    const TextCallback &m_onText;
    const std::atomic<bool> *m_cancel;
    Sampler m_sampler;
    StreamDecoder m_decoder;
    StopMatcher m_matcher;
    KvCache m_cache;
    torch::Device m_device; // where the model's weights live
    GenerationResult m_result;
    bool m_callbackAlive = true;
};

torch::Tensor GenerationRun::forward(const std::vector<TokenId> &ids, std::int64_t startPos)
{
    const std::vector<std::int64_t> wide(ids.begin(), ids.end());
    const torch::Tensor input = torch::tensor(wide, torch::kInt64).unsqueeze(0); // (1, T)
    const torch::Tensor logits = m_model.forward(input.to(m_device), &m_cache, startPos); // (1, T, V)
    return logits[0][logits.size(1) - 1]; // (V)
}

void GenerationRun::deliver(const std::string &text)
{
    if (text.empty())
        return;
    m_result.text += text;
    if (m_onText && m_callbackAlive)
        m_callbackAlive = m_onText(text);
}

void GenerationRun::emit(const std::string &piece)
{
    if (piece.empty() || m_matcher.stopped())
        return;
    deliver(m_matcher.push(piece));
    if (m_matcher.stopped()) {
        m_result.stopReason = StopReason::StopString;
        m_result.stopString = m_matcher.matched();
    }
}

void GenerationRun::finish()
{
    emit(m_decoder.finish());
    if (m_matcher.stopped())
        return;
    deliver(m_matcher.flush());
}

GenerationResult GenerationRun::run(const std::vector<TokenId> &promptIds)
{
    torch::NoGradGuard noGrad;
    const std::int64_t context = m_model.config().maxPositions;
    std::vector<TokenId> history = promptIds;
    m_result.promptTokens = static_cast<std::int64_t>(promptIds.size());
    Stopwatch stopwatch;
    torch::Tensor logits = forward(promptIds, 0); // (V)
    m_result.promptSeconds = stopwatch.seconds();
    stopwatch.restart();
    while (true) {
        if (cancelled()) {
            m_result.stopReason = StopReason::Cancelled;
            break;
        }
        const TokenId token = m_sampler.next(logits, history);
        if (m_stopIds.count(token)) {
            m_result.stopReason = StopReason::Eos;
            break;
        }
        history.push_back(token);
        m_result.tokenIds.push_back(token);
        ++m_result.newTokens;
        emit(m_decoder.push(token));
        if (m_matcher.stopped())
            break;
        if (m_result.newTokens >= m_options.maxNewTokens) {
            m_result.stopReason = StopReason::MaxTokens;
            break;
        }
        if (static_cast<std::int64_t>(history.size()) >= context) {
            m_result.stopReason = StopReason::ContextFull;
            break;
        }
        if (cancelled()) {
            m_result.stopReason = StopReason::Cancelled;
            break;
        }
        logits = forward({ token }, static_cast<std::int64_t>(history.size()) - 1); // (V)
    }
    finish();
    m_result.generateSeconds = stopwatch.seconds();
    if (m_result.generateSeconds > 0.0)
        m_result.tokensPerSecond = static_cast<double>(m_result.newTokens) / m_result.generateSeconds;
    return std::move(m_result);
}

void checkPrompt(const std::vector<TokenId> &promptIds, const ModelConfig &config)
{
    if (promptIds.empty())
        throw Error("generation: the prompt has no tokens (hint: type some text; models without a BOS token "
                    "need at least one token to start from)");
    const auto length = static_cast<std::int64_t>(promptIds.size());
    if (length >= config.maxPositions)
        throw Error("generation: the prompt has " + std::to_string(length) + " tokens but the model's context is "
            + std::to_string(config.maxPositions) + " tokens (hint: shorten the prompt to leave room for the answer)");
}

} // namespace

std::vector<TokenId> stopTokenIds(const Tokenizer &tokenizer, const ModelConfig &config)
{
    std::vector<TokenId> ids = tokenizer.specialTokens().stopIds;
    if (tokenizer.specialTokens().eos)
        ids.push_back(*tokenizer.specialTokens().eos);
    for (const std::int64_t id : config.eosTokenIds)
        ids.push_back(static_cast<TokenId>(id));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

GenerationResult generateTokens(const CausalLm &model, const Tokenizer &tokenizer,
    const std::vector<TokenId> &promptIds, const std::vector<TokenId> &stopIds, const GenerationOptions &options,
    const TextCallback &onText, const std::atomic<bool> *cancel)
{
    checkPrompt(promptIds, model.config());
    GenerationRun run(model, tokenizer, stopIds, options, onText, cancel);
    return run.run(promptIds);
}

} // namespace engine

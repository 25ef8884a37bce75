// InferenceSession (see inferencesession.h): owns the model, tokenizer, chat
// template and current adapter; every public call runs under guard() and a
// try-lock, so errors come back as Status / Result and a concurrent call is
// refused instead of racing. Adapters: inferencesessionadapter.cpp.
#include "engine/generate/inferencesession.h"

#include "engine/data/chattemplatedetector.h"
#include "engine/generate/inferencesessionimpl.h"
#include "engine/generate/textgenerator.h"
#include "engine/generate/tokenlosses.h"
#include "engine/tokenizer/tokenizerloader.h"

#include <cmath>
#include <numeric>

namespace engine {

namespace {

torch::Device parseDevice(const std::string &name)
{
    const bool cuda = name == "cuda" || name.rfind("cuda:", 0) == 0;
    if (name != "cpu" && !cuda)
        throw Error("device '" + name + "' is not known (hint: use cpu, cuda or cuda:N)");
    if (cuda && !torch::cuda::is_available())
        throw Error("device '" + name + "' is not available: this LibTorch build sees no CUDA device "
                    "(hint: use cpu, or run `lorafit-cli devices`)");
    try {
        return torch::Device(name);
    } catch (const std::exception &) {
        throw Error("device '" + name + "' is not valid (hint: use cpu, cuda or cuda:N)");
    }
}

InferenceSessionInfo describe(const std::string &folder, const std::string &device, const ModelConfig &config,
                              const data::TemplateDetection &detection)
{
    InferenceSessionInfo info;
    info.modelFolder = folder;
    info.modelType = config.modelType;
    info.device = device;
    info.contextLength = config.maxPositions;
    info.vocabSize = config.vocabSize;
    info.chatTemplate = data::templateName(detection.chatTemplate.kind);
    info.chatTemplateRecognised = detection.recognised;
    info.chatTemplateWarning = detection.warning;
    return info;
}

std::vector<TokenId> encodeWithBos(const Tokenizer &tokenizer, const std::string &text)
{
    std::vector<TokenId> ids = tokenizer.encode(text, false, true);
    const SpecialTokens &special = tokenizer.specialTokens();
    const bool hasBos = !special.bosText.empty() && text.compare(0, special.bosText.size(), special.bosText) == 0;
    if (special.bos && ((special.addBos && !hasBos) || ids.empty()))
        ids.insert(ids.begin(), *special.bos);
    return ids;
}

TextEvaluation summarise(const Tokenizer &tokenizer, const std::vector<TokenId> &ids, const TokenLossRun &run)
{
    TextEvaluation evaluation;
    evaluation.textTokens = static_cast<std::int64_t>(ids.size());
    evaluation.windows = run.windows;
    evaluation.cancelled = run.cancelled;
    for (std::size_t i = 0; i < run.losses.size(); ++i) {
        const TokenId id = ids[i + 1];
        evaluation.tokens.push_back({ static_cast<std::int64_t>(i + 1), id, tokenizer.decode({ id }), run.losses[i] });
    }
    if (!run.losses.empty()) {
        const double sum = std::accumulate(run.losses.begin(), run.losses.end(), 0.0);
        evaluation.meanLoss = sum / static_cast<double>(run.losses.size());
        evaluation.perplexity = std::exp(evaluation.meanLoss);
    }
    return evaluation;
}

} // namespace

InferenceSession::InferenceSession(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{ }

InferenceSession::~InferenceSession() = default;

Result<std::unique_ptr<InferenceSession>> InferenceSession::open(const std::string &modelFolder,
                                                                 const std::string &device)
{
    return guard([&] {
        auto impl = std::make_unique<Impl>();
        Result<std::unique_ptr<Tokenizer>> tokenizer = loadTokenizer(modelFolder);
        if (!tokenizer)
            throw Error(tokenizer.message());
        Result<data::TemplateDetection> detection = data::detectModelChatTemplate(modelFolder);
        if (!detection)
            throw Error(detection.message());
        impl->model = std::make_unique<CausalLm>(loadCausalLm(modelFolder, { parseDevice(device) }));
        impl->tokenizer = std::move(tokenizer).value();
        impl->chatTemplate = detection.value().chatTemplate;
        impl->stopIds = stopTokenIds(*impl->tokenizer, impl->model->config());
        impl->info = describe(modelFolder, device, impl->model->config(), detection.value());
        return std::unique_ptr<InferenceSession>(new InferenceSession(std::move(impl)));
    });
}

const InferenceSessionInfo &InferenceSession::info() const
{
    return m_impl->info;
}

const Tokenizer &InferenceSession::tokenizer() const
{
    return *m_impl->tokenizer;
}

Result<std::string> InferenceSession::renderPrompt(const GenerationPrompt &prompt) const
{
    return guard([&] {
        if (prompt.messages.empty())
            return prompt.text;
        return data::joinSegments(data::renderChat(m_impl->chatTemplate, prompt.messages, true));
    });
}

Result<std::vector<TokenId>> InferenceSession::promptIds(const GenerationPrompt &prompt) const
{
    Result<std::string> text = renderPrompt(prompt);
    if (!text)
        return text.status();
    return guard([&] { return encodeWithBos(*m_impl->tokenizer, text.value()); });
}

Result<GenerationResult> InferenceSession::generate(const GenerationPrompt &prompt, const GenerationOptions &options,
                                                    const TextCallback &onText, const std::atomic<bool> *cancel)
{
    const Impl::BusyLock lock(*m_impl);
    if (!lock)
        return Impl::busyError();
    if (Status status = options.validate(); !status)
        return status;
    Result<std::vector<TokenId>> ids = promptIds(prompt);
    if (!ids)
        return ids.status();
    return guard([&] {
        return generateTokens(*m_impl->model, *m_impl->tokenizer, ids.value(), m_impl->stopIds, options, onText,
                              cancel);
    });
}

Result<TextEvaluation> InferenceSession::evaluate(const std::string &text, std::int64_t windowLength,
                                                  const std::atomic<bool> *cancel)
{
    const Impl::BusyLock lock(*m_impl);
    if (!lock)
        return Impl::busyError();
    return guard([&] {
        const std::int64_t context = m_impl->model->config().maxPositions;
        const std::int64_t window = windowLength > 0 ? windowLength : std::min(context, kDefaultEvalWindow);
        const std::vector<TokenId> ids = encodeWithBos(*m_impl->tokenizer, text);
        const TokenLossRun run = computeTokenLosses(*m_impl->model, ids, window, cancel);
        TextEvaluation evaluation = summarise(*m_impl->tokenizer, ids, run);
        evaluation.windowLength = window;
        return evaluation;
    });
}

} // namespace engine

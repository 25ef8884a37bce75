// pretrain(): corpus -> tokenizer -> token streams -> fresh Llama -> AdamW
// loop -> validation of the saved weights -> model folder. The loop reads
// top to bottom: schedule, batch, forward, loss, backward, clip, step, report.
#include "engine/pretrain/pretrainer.h"

#include "engine/core/runtime.h"
#include "engine/core/stopwatch.h"
#include "engine/data/permutation.h"
#include "engine/model/causallm.h"
#include "engine/pretrain/modelfolderwriter.h"
#include "engine/pretrain/pretraincorpus.h"
#include "engine/pretrain/pretrainloss.h"
#include "engine/tokenizer/bpetrainer.h"
#include "engine/tokenizer/tokenizerloader.h"
#include "engine/train/optimizerconfig.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>

namespace engine {

namespace {

constexpr double kInitStd = 0.02; // transformers' initializer_range

struct Stopped
{
};

// Training windows in a seeded order per epoch; an epoch's last partial batch is skipped.
class WindowOrder
{
public:
    WindowOrder(std::int64_t windows, std::uint64_t seed)
        : m_windows(windows)
        , m_seed(seed)
    { }

    std::vector<std::int64_t> next(std::int64_t count)
    {
        if (m_cursor + count > m_windows || m_order.empty()) {
            m_order = data::shuffledIndices(
                static_cast<std::size_t>(m_windows), data::mixSeed(m_seed, static_cast<std::uint64_t>(++m_epoch)));
            m_cursor = 0;
        }
        std::vector<std::int64_t> rows(m_order.begin() + m_cursor, m_order.begin() + m_cursor + count);
        m_cursor += count;
        return rows;
    }

private:
    std::int64_t m_windows;
    std::uint64_t m_seed;
    std::vector<std::uint32_t> m_order;
    std::int64_t m_epoch = -1;
    std::int64_t m_cursor = 0;
};

class Run
{
public:
    Run(const PretrainConfig &config, const PretrainCallback &callback)
        : m_config(config)
        , m_callback(callback)
    { }

    PretrainSummary execute();

private:
    // Throws Stopped if the callback says so and `cancellable`.
    void report(PretrainProgress::Phase phase, const std::string &message, bool cancellable = true);
    void prepareData();
    void buildModel();
    void trainLoop();
    std::int64_t plannedSteps(std::int64_t step, double elapsed) const;
    PretrainProgress stepProgress(std::int64_t step, std::int64_t total, double lr, double loss, double elapsed) const;
    void summariseLosses(const std::vector<double> &losses);
    void finish();

    const PretrainConfig &m_config;
    const PretrainCallback &m_callback;
    Stopwatch m_total;
    PretrainSummary m_summary;
    std::optional<PretrainCorpus> m_corpus;
    TrainedBpe m_bpe;
    std::string m_configJson;
    std::shared_ptr<CausalLmNetImpl> m_net;
};

void Run::report(PretrainProgress::Phase phase, const std::string &message, bool cancellable)
{
    PretrainProgress progress;
    progress.phase = phase;
    progress.message = message;
    if (m_callback && !m_callback(progress) && cancellable)
        throw Stopped();
}

void Run::prepareData()
{
    report(PretrainProgress::Phase::Reading, "reading the corpus");
    m_corpus = PretrainCorpus::read(m_config.corpusPaths, m_config.validationFraction, m_config.seed);
    m_summary.trainDocuments = static_cast<std::int64_t>(m_corpus->trainDocuments().size());
    m_summary.validationDocuments = static_cast<std::int64_t>(m_corpus->validationDocuments().size());

    report(PretrainProgress::Phase::Tokenizer,
        "training a " + std::to_string(m_config.vocabSize) + "-token BPE tokenizer on "
            + std::to_string(m_corpus->bytes()) + " bytes");
    BpeTrainerOptions options;
    options.vocabSize = m_config.vocabSize;
    BpeTrainer trainer(options);
    for (const std::string &document : m_corpus->trainDocuments())
        trainer.addText(document, "the corpus");
    std::optional<TrainedBpe> bpe = trainer.train([this](std::size_t, std::size_t) {
        return !m_callback || m_callback(PretrainProgress { PretrainProgress::Phase::Tokenizer, {} });
    });
    if (!bpe)
        throw Stopped();
    m_bpe = std::move(*bpe);

    report(PretrainProgress::Phase::Tokenizing, "tokenizing the corpus");
    Result<std::unique_ptr<Tokenizer>> tokenizer = loadTokenizerFromJson(m_bpe.toTokenizerJson());
    if (!tokenizer)
        throw Error("the trained tokenizer does not load: " + tokenizer.message());
    m_corpus->tokenize(*tokenizer.value(), 0);
    m_summary.vocabSize = static_cast<std::int64_t>(tokenizer.value()->vocabSize());
    m_summary.trainTokens = static_cast<std::int64_t>(m_corpus->trainTokens().size());
    m_summary.validationTokens = static_cast<std::int64_t>(m_corpus->validationTokens().size());
    if (PretrainCorpus::windowCount(m_corpus->trainTokens().size(), m_config.context) == 0)
        throw Error("the training part of the corpus has fewer than 2 tokens (hint: give a larger corpus)");
    m_summary.tokenizerSeconds = m_total.seconds();
}

void Run::buildModel()
{
    ModelShape shape;
    shape.vocab = m_summary.vocabSize;
    shape.hidden = m_config.hidden;
    shape.intermediate = m_config.mlpWidth();
    shape.layers = m_config.layers;
    shape.heads = m_config.heads;
    shape.kvHeads = m_config.keyValueHeads();
    shape.context = m_config.context;
    SpecialTokenIds ids;
    ids.endOfText = 0;
    ids.imEnd = static_cast<std::int64_t>(
        std::find(m_bpe.specialTokens.begin(), m_bpe.specialTokens.end(), "<|im_end|>") - m_bpe.specialTokens.begin());
    m_configJson = llamaConfigJson(shape, ids, m_config.halfPrecision);
    Result<ModelConfig> modelConfig = parseModelConfig(m_configJson, "config.json");
    if (!modelConfig)
        throw Error(modelConfig.message());

    torch::manual_seed(m_config.seed);
    m_net = buildCausalLmNet(modelConfig.value());
    torch::NoGradGuard noGrad;
    for (auto &item : m_net->named_parameters(true)) {
        torch::Tensor &p = item.value();
        if (p.dim() == 1) // RMSNorm weights
            p.fill_(1.0);
        else
            p.normal_(0.0, kInitStd);
        p.set_requires_grad(true);
        m_summary.parameters += p.numel();
    }
}

std::int64_t Run::plannedSteps(std::int64_t step, double elapsed) const
{
    if (m_config.minutes <= 0)
        return m_config.steps > 0 ? m_config.steps : 1000;
    const double budget = m_config.minutes * 60.0;
    if (step < 5 || elapsed <= 0)
        return std::max<std::int64_t>(step + 1, 1000);
    return std::max<std::int64_t>(step + 1, static_cast<std::int64_t>(std::llround(step * budget / elapsed)));
}

std::vector<torch::optim::OptimizerParamGroup> parameterGroups(CausalLmNetImpl &net, double weightDecay)
{
    std::vector<torch::Tensor> decay, noDecay;
    for (auto &item : net.named_parameters(true))
        (item.value().dim() >= 2 ? decay : noDecay).push_back(item.value());
    auto decayOptions = std::make_unique<torch::optim::AdamWOptions>();
    decayOptions->weight_decay(weightDecay);
    auto noDecayOptions = std::make_unique<torch::optim::AdamWOptions>();
    noDecayOptions->weight_decay(0.0);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::move(decayOptions));
    groups.emplace_back(noDecay, std::move(noDecayOptions));
    return groups;
}

PretrainProgress Run::stepProgress(std::int64_t step, std::int64_t total, double lr, double loss, double elapsed) const
{
    PretrainProgress progress;
    progress.phase = PretrainProgress::Phase::Training;
    progress.step = step + 1;
    progress.totalSteps = plannedSteps(step + 1, elapsed);
    progress.loss = loss;
    progress.learningRate = lr;
    progress.elapsedSeconds = elapsed;
    progress.tokensPerSecond = elapsed > 0 ? static_cast<double>(m_summary.tokensSeen) / elapsed : 0.0;
    progress.etaSeconds = m_config.minutes > 0
        ? std::max(0.0, m_config.minutes * 60.0 - elapsed)
        : elapsed / static_cast<double>(step + 1) * static_cast<double>(total - step - 1);
    return progress;
}

void Run::summariseLosses(const std::vector<double> &losses)
{
    if (losses.empty())
        return;
    m_summary.firstLoss = losses.front();
    const std::size_t tail = std::max<std::size_t>(1, losses.size() / 10);
    double sum = 0;
    for (std::size_t i = losses.size() - tail; i < losses.size(); ++i)
        sum += losses[i];
    m_summary.finalLoss = sum / static_cast<double>(tail);
}

void Run::trainLoop()
{
    torch::optim::AdamWOptions defaults(m_config.learningRate);
    defaults.betas({ 0.9, 0.95 }).eps(1e-8);
    torch::optim::AdamW optimizer(parameterGroups(*m_net, m_config.weightDecay), defaults);
    OptimizerConfig schedule;
    schedule.schedule = Schedule::Cosine;
    schedule.minLearningRateRatio = m_config.minLearningRateRatio;

    const std::vector<TokenId> &stream = m_corpus->trainTokens();
    const std::int64_t T = m_config.context, windows = PretrainCorpus::windowCount(stream.size(), T);
    const std::int64_t B = std::min<std::int64_t>(m_config.batchSize, windows);
    WindowOrder order(windows, m_config.seed);
    std::vector<double> losses;
    const Stopwatch training;
    m_net->train();
    for (std::int64_t step = 0;; ++step) {
        const double elapsed = training.seconds();
        const std::int64_t total = plannedSteps(step, elapsed);
        const bool timeUp = m_config.minutes > 0 && elapsed >= m_config.minutes * 60.0;
        if (step >= total || timeUp)
            break;
        // --- the batch: B windows in this epoch's seeded order ---
        const data::Batch batch = PretrainCorpus::batchOf(stream, order.next(B), T, 0);
        // --- forward, loss, backward, clip, step ---
        schedule.warmupSteps
            = m_config.warmupSteps >= 0 ? m_config.warmupSteps : std::min<std::int64_t>(200, total / 20);
        const double lr = m_config.learningRate * scheduleFactor(schedule, step, total);
        for (auto &group : optimizer.param_groups())
            static_cast<torch::optim::AdamWOptions &>(group.options()).lr(lr);
        const auto [ids, labels] = batchTensors(batch); // (B, T) each
        const torch::Tensor loss = shiftedCrossEntropy(m_net->forward(ids, nullptr, 0), labels);
        optimizer.zero_grad();
        loss.backward();
        if (m_config.maxGradNorm > 0)
            torch::nn::utils::clip_grad_norm_(m_net->parameters(), m_config.maxGradNorm);
        optimizer.step();
        // --- report ---
        losses.push_back(loss.item<double>());
        m_summary.steps = step + 1;
        m_summary.tokensSeen += B * T;
        const PretrainProgress progress = stepProgress(step, total, lr, losses.back(), training.seconds());
        if (m_callback && !m_callback(progress)) {
            m_summary.stoppedEarly = true;
            break;
        }
    }
    m_net->eval();
    m_summary.trainSeconds = training.seconds();
    m_summary.tokensPerSecond
        = m_summary.trainSeconds > 0 ? static_cast<double>(m_summary.tokensSeen) / m_summary.trainSeconds : 0.0;
    summariseLosses(losses);
}

std::string reportJson(const PretrainConfig &config, const PretrainSummary &s)
{
    const nlohmann::ordered_json j = {
        { "lorafit_pretrain", 1 },
        { "corpus", config.corpusPaths },
        { "seed", config.seed },
        { "validation_fraction", config.validationFraction },
        { "context", config.context },
        { "batch_size", config.batchSize },
        { "learning_rate", config.learningRate },
        { "parameters", s.parameters },
        { "vocab_size", s.vocabSize },
        { "train_documents", s.trainDocuments },
        { "validation_documents", s.validationDocuments },
        { "train_tokens", s.trainTokens },
        { "validation_tokens", s.validationTokens },
        { "steps", s.steps },
        { "tokens_seen", s.tokensSeen },
        { "stopped_early", s.stoppedEarly },
        { "train_seconds", s.trainSeconds },
        { "tokens_per_second", s.tokensPerSecond },
        { "first_loss", s.firstLoss },
        { "final_loss", s.finalLoss },
        { "initial_validation_loss", s.initialValidationLoss },
        { "validation_loss", s.validationLoss },
        { "validation_perplexity", s.validationPerplexity },
    };
    return j.dump(2) + "\n";
}

void Run::finish()
{
    // Once training has ended the model is always written: stopping means "stop training".
    report(PretrainProgress::Phase::Evaluating, "measuring the validation loss of the saved weights", false);
    if (m_config.halfPrecision) { // the saved weights are float16: measure exactly those
        torch::NoGradGuard noGrad;
        for (auto &p : m_net->parameters())
            p.copy_(p.to(torch::kHalf).to(torch::kFloat));
    }
    m_summary.validationLoss
        = validationLoss(*m_net, m_corpus->validationTokens(), m_config.context, m_config.batchSize);
    m_summary.validationPerplexity = std::exp(m_summary.validationLoss);

    report(PretrainProgress::Phase::Writing, "writing " + m_config.outDir, false);
    SpecialTokenIds ids;
    ids.imEnd = static_cast<std::int64_t>(
        std::find(m_bpe.specialTokens.begin(), m_bpe.specialTokens.end(), "<|im_end|>") - m_bpe.specialTokens.begin());
    m_summary.totalSeconds = m_total.seconds();
    const std::map<std::string, std::string> files = {
        { "config.json", m_configJson },
        { "tokenizer.json", m_bpe.toTokenizerJson() },
        { "tokenizer_config.json", tokenizerConfigJson(m_bpe.specialTokens, m_config.context) },
        { "generation_config.json", generationConfigJson(ids) },
        { "lorafit_pretrain.json", reportJson(m_config, m_summary) },
    };
    writeModelFolder(m_config.outDir, m_config.overwrite, *m_net, m_config.halfPrecision, files);
    m_summary.outDir = m_config.outDir;
}

PretrainSummary Run::execute()
{
    try {
        prepareData();
        buildModel();
        report(PretrainProgress::Phase::Evaluating, "measuring the validation loss of the initial model");
        m_summary.initialValidationLoss
            = validationLoss(*m_net, m_corpus->validationTokens(), m_config.context, m_config.batchSize);
    } catch (const Stopped &) {
        m_summary.stoppedEarly = true;
        return m_summary;
    }
    trainLoop();
    finish();
    return m_summary;
}

} // namespace

Result<PretrainSummary> pretrain(const PretrainConfig &config, const PretrainCallback &callback)
{
    if (Status status = config.validate(); !status)
        return status;
    std::error_code error;
    if (!config.overwrite && std::filesystem::exists(config.outDir, error))
        return Status::failure("output folder '" + config.outDir + "' already exists (hint: choose a new --out "
            + "folder or pass --overwrite)");
    return guard([&] {
        const KeepFreedMemory keep; // as Trainer::run does
        return Run(config, callback).execute();
    });
}

} // namespace engine

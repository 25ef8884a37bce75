// Exports from a trainer checkpoint: the PEFT folder (dtype, model card) loads
// back to the same logits; the merged model's logits equal base + adapter
// (GPT-2 Conv1D, Llama, DoRA, PiSSA), also when sharded; pre-flight refuses
// what would fail or load wrong; cancel leaves nothing behind; the verifier's
// loss matches an independent computation.
#include "engine/core/atomicfile.h"
#include "engine/export/adapterverifier.h"
#include "engine/export/checkpointsource.h"
#include "engine/export/exportjob.h"
#include "engine/io/safetensorstorch.h"
#include "engine/lora/peftadapter.h"
#include "engine/model/causallm.h"
#include "exporttesthelpers.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

namespace {

using exporttest::relativeError;

engine::ExportRequest request(const QString &checkpoint, const QString &out, std::vector<std::string> formats)
{
    engine::ExportRequest r;
    r.checkpointFolder = checkpoint.toStdString();
    r.outDir = out.toStdString();
    r.formats = std::move(formats);
    const auto source = engine::readCheckpointSource(r.checkpointFolder);
    if (source) {
        r.card = source->card;
        r.conversational = source->conversational;
    }
    return r;
}

// Logits of the base with the checkpoint's adapter, computed by the engine's LoRA forward.
torch::Tensor adapterLogits(const QString &base, const QString &checkpoint, const torch::Tensor &ids)
{
    engine::CausalLm model = engine::loadCausalLm(base.toStdString());
    engine::LoraModel lora = engine::loadPeftAdapter(checkpoint.toStdString(), model);
    return model.forward(ids);
}

QString fileText(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

} // namespace

class TestExport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void peftExportLoadsBackWithCard()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "llama");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4, "alpha": 8})");
        auto r = request(checkpoint, dir.filePath("out"), {"peft"});
        r.dtype = engine::TensorDtype::BF16;
        const auto summary = engine::runExport(r);
        QVERIFY2(summary.isOk(), summary.message().c_str());
        QCOMPARE(summary->files.size(), std::size_t(3));
        for (const auto &file : summary->files)
            QVERIFY2(file.bytes > 0 && QFile::exists(QString::fromStdString(file.path)), file.path.c_str());
        const auto tensors = engine::loadSafetensors(dir.filePath("out/adapter_model.safetensors").toStdString());
        QVERIFY(tensors.begin()->second.scalar_type() == torch::kBFloat16);

        // The card carries base, data, settings and metrics from trainer_state.json.
        const QString card = fileText(dir.filePath("out/README.md"));
        QVERIFY2(card.contains(QDir(base).absolutePath()) && card.contains("chat.jsonl") && card.contains("lora.rank")
                     && card.contains("eval_loss") && card.contains("library_name: peft"),
                 qPrintable(card));

        // bf16 rounding is the only change: the checkpoint rounded the same way gives identical logits.
        const auto batch = exporttest::batches(61).front();
        engine::CausalLm model = engine::loadCausalLm(base.toStdString());
        engine::LoraModel original = engine::loadPeftAdapter(checkpoint.toStdString(), model);
        {
            torch::NoGradGuard noGrad;
            for (auto &[name, tensor] : original.namedParameters())
                tensor.copy_(tensor.to(torch::kBFloat16).to(torch::kFloat32));
        }
        const torch::Tensor expected = model.forward(exporttest::ids(batch));
        QVERIFY(torch::equal(adapterLogits(base, dir.filePath("out"), exporttest::ids(batch)), expected));
    }

    void mergedLogitsEqualBasePlusAdapter_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("lora");
        QTest::addColumn<qint64>("shardBytes");
        QTest::newRow("gpt2 conv1d") << "gpt2" << R"({"rank": 4, "target_mode": "all-linear"})" << qint64(5e9);
        QTest::newRow("llama rslora patterns") << "llama"
                                               << R"({"rank": 4, "rslora": true, "target_mode": "all-linear",
                                                     "rank_pattern": {"down_proj": 2}})" << qint64(5e9);
        QTest::newRow("qwen2 dora") << "qwen2" << R"({"rank": 4, "dora": true})" << qint64(5e9);
        QTest::newRow("gpt2 dora sharded") << "gpt2" << R"({"rank": 2, "dora": true})" << qint64(20000);
        QTest::newRow("llama pissa sharded") << "llama" << R"({"rank": 2, "init": "pissa"})" << qint64(30000);
        QTest::newRow("gemma2 all-linear") << "gemma2" << R"({"rank": 4, "target_mode": "all-linear"})" << qint64(5e9);
        QTest::newRow("phi3 qkv_proj gate_up_proj")
            << "phi3" << R"({"rank": 4, "target_modules": ["qkv_proj", "gate_up_proj"]})" << qint64(5e9);
    }

    void mergedLogitsEqualBasePlusAdapter()
    {
        QFETCH(QString, type);
        QFETCH(QString, lora);
        QFETCH(qint64, shardBytes);
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, type.toStdString());
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, lora.toStdString());
        auto r = request(checkpoint, dir.filePath("merged"), {"merged"});
        r.maxShardBytes = static_cast<std::uint64_t>(shardBytes);
        const auto summary = engine::runExport(r);
        QVERIFY2(summary.isOk(), summary.message().c_str());

        const bool sharded = shardBytes < 1000000;
        QCOMPARE(QFile::exists(dir.filePath("merged/model.safetensors.index.json")), sharded);
        QCOMPARE(QFile::exists(dir.filePath("merged/model.safetensors")), !sharded);
        if (sharded) {
            const auto index = nlohmann::json::parse(engine::readFile(dir.filePath("merged/model.safetensors.index.json").toStdString()));
            QVERIFY(index["weight_map"].size() > 3);
            QVERIFY(QFile::exists(dir.filePath("merged/model-00002-of-%1.safetensors")
                                      .arg(QDir(dir.filePath("merged")).entryList({"model-0*"}).size(), 5, 10, QChar('0'))));
        }
        QCOMPARE(fileText(dir.filePath("merged/tokenizer.json")), fileText(base + "/tokenizer.json"));
        QVERIFY(QFile::exists(dir.filePath("merged/generation_config.json")));

        const auto batch = exporttest::batches(type == "gpt2" ? 53 : 61).front();
        const torch::Tensor expected = adapterLogits(base, checkpoint, exporttest::ids(batch));
        engine::CausalLm merged = engine::loadCausalLm(dir.filePath("merged").toStdString());
        const double error = relativeError(merged.forward(exporttest::ids(batch)), expected);
        // f32 throughout; W + s·B·A summed in another order than the unmerged forward.
        QVERIFY2(error < 1e-5, qPrintable(QString::number(error)));
    }

    // A base whose files name the tensors otherwise than the parameters (a
    // multimodal gemma3 folder's language_model.model.*, a hub GPT-2's h.N.*):
    // the merged folder keeps the file's names, merges into them and copies
    // the other tensors (the vision tower) as they are.
    void mergedKeepsTheBaseFilesTensorNames_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("prefix"); // replaces the parameter prefix in the files
        QTest::addColumn<QString>("parameterPrefix");
        QTest::newRow("gemma3 multimodal") << "gemma3_text" << "language_model.model." << "model.";
        QTest::newRow("gpt2 hub names") << "gpt2" << "" << "transformer.";
    }

    void mergedKeepsTheBaseFilesTensorNames()
    {
        QFETCH(QString, type);
        QFETCH(QString, prefix);
        QFETCH(QString, parameterPrefix);
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, type.toStdString());
        const std::string configPath = (base + "/config.json").toStdString();
        if (type == "gemma3_text") {
            const nlohmann::json text = nlohmann::json::parse(engine::readFile(configPath));
            const nlohmann::json full = {{"model_type", "gemma3"}, {"text_config", text}, {"eos_token_id", 2},
                                         {"vision_config", {{"model_type", "siglip_vision_model"}}}};
            engine::writeFileAtomically(configPath, full.dump(2));
        }
        std::vector<std::pair<std::string, torch::Tensor>> renamed;
        for (auto &[name, tensor] : engine::loadSafetensors((base + "/model.safetensors").toStdString())) {
            const std::string p = parameterPrefix.toStdString();
            renamed.emplace_back(name.rfind(p, 0) == 0 ? prefix.toStdString() + name.substr(p.size()) : name, tensor);
        }
        if (type == "gemma3_text")
            renamed.emplace_back("vision_tower.patch_embedding.weight", torch::full({3, 2}, 0.25));
        engine::saveSafetensors((base + "/model.safetensors").toStdString(), renamed);

        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4, "target_mode": "all-linear"})");
        const auto summary = engine::runExport(request(checkpoint, dir.filePath("merged"), {"merged"}));
        QVERIFY2(summary.isOk(), summary.message().c_str());
        const auto written = engine::loadSafetensors(dir.filePath("merged/model.safetensors").toStdString());
        QCOMPARE(written.size(), renamed.size());
        for (const auto &[name, tensor] : renamed)
            QVERIFY2(written.count(name), name.c_str());
        if (type == "gemma3_text")
            QVERIFY(torch::equal(written.at("vision_tower.patch_embedding.weight"), torch::full({3, 2}, 0.25)));
        const auto batch = exporttest::batches(type == "gpt2" ? 53 : 61).front();
        const torch::Tensor expected = adapterLogits(base, checkpoint, exporttest::ids(batch));
        engine::CausalLm merged = engine::loadCausalLm(dir.filePath("merged").toStdString());
        const double error = relativeError(merged.forward(exporttest::ids(batch)), expected);
        QVERIFY2(error < 1e-5, qPrintable(QString::number(error)));
    }

    void preflightRefusesWhatWouldFail()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "llama", /*chatTemplate=*/false);
        const QString dora = exporttest::writeCheckpoint(dir.filePath("dora"), base, R"({"rank": 4, "dora": true})");
        auto check = [&](const engine::ExportRequest &r, const char *expected) {
            const engine::Status status = engine::preflightExport(r);
            QVERIFY2(!status.isOk(), expected);
            QVERIFY2(QString::fromStdString(status.message()).contains(QLatin1String(expected)), status.message().c_str());
            QVERIFY2(QString::fromStdString(status.message()).contains(QLatin1String("hint")), status.message().c_str());
        };
        check(request(dora, dir.filePath("o1"), {"gguf"}), "GGUF: llama.cpp cannot apply DoRA");

        // Gemma and Phi-3 have no GGUF mapping yet: both GGUF formats say so before any work.
        const QString gemmaBase = dir.filePath("gemma2");
        exporttest::writeBase(gemmaBase, "gemma2");
        const QString gemma = exporttest::writeCheckpoint(dir.filePath("gemma"), gemmaBase, R"({"rank": 4})");
        check(request(gemma, dir.filePath("o0"), {"gguf"}), "not yet supported for GGUF: model_type 'gemma2'");
        check(request(gemma, dir.filePath("o0"), {"gguf-model"}), "not yet supported for GGUF: model_type 'gemma2'");

        // Trained on conversations, but the base has no chat template.
        const QString chat = exporttest::writeCheckpoint(dir.filePath("chat"), base, R"({"rank": 4})", 10, "messages");
        check(request(chat, dir.filePath("o2"), {"merged"}), "has no chat template");
        auto withTemplate = request(chat, dir.filePath("o2"), {"merged"});
        withTemplate.chatTemplate = "{{ messages }}";
        QVERIFY(engine::preflightExport(withTemplate).isOk());

        // A dtype the format cannot store; a non-empty destination.
        auto q8 = request(chat, dir.filePath("o3"), {"peft"});
        q8.dtype = engine::TensorDtype::Q8_0;
        check(q8, "cannot store q8_0");
        QDir().mkpath(dir.filePath("full"));
        engine::writeFileAtomically(dir.filePath("full/x.txt").toStdString(), "x");
        check(request(chat, dir.filePath("full"), {"peft"}), "is not empty");
        check(request(chat, dir.filePath("o4"), {"onnx"}), "unknown export format 'onnx'");

        // No eos anywhere: a merged model would never stop generating.
        const QString noEos = dir.filePath("noeos");
        exporttest::writeBase(noEos, "llama", true, R"({"eos_token_id": null})");
        QFile::remove(noEos + "/tokenizer_config.json");
        const QString plain = exporttest::writeCheckpoint(dir.filePath("plain"), noEos, R"({"rank": 4})");
        check(request(plain, dir.filePath("o5"), {"merged"}), "defines no eos token");

        // The adapter names a base of another shape than the one chosen.
        const QString gpt2 = dir.filePath("gpt2");
        exporttest::writeBase(gpt2, "gpt2");
        auto mismatch = request(plain, dir.filePath("o6"), {"peft"});
        mismatch.baseModelFolder = gpt2.toStdString();
        check(mismatch, "base model mismatch");
        QVERIFY(!QDir(dir.filePath("o6")).exists()); // pre-flight writes nothing
    }

    void cancelLeavesNothingBehind()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "gpt2");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4})");
        auto r = request(checkpoint, dir.filePath("out"), {"peft", "merged", "gguf"});
        r.maxShardBytes = 20000;
        int calls = 0;
        bool sawMerged = false;
        const auto summary = engine::runExport(r, [&](const engine::ExportProgress &p) {
            ++calls;
            sawMerged = sawMerged || p.format == "merged";
            return !(p.format == "merged" && p.stage.find("model-00002") != std::string::npos);
        });
        QVERIFY2(summary.isOk(), summary.message().c_str());
        QVERIFY(summary->cancelled);
        QVERIFY(sawMerged && calls > 3);
        QStringList left;
        for (const char *sub : { "peft", "merged", "gguf" })
            left += QDir(dir.filePath(QStringLiteral("out/") + QLatin1String(sub))).entryList(QDir::Files);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(", ")));
    }

    void verifierLossMatchesIndependentComputation()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "llama");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4, "target_mode": "all-linear"})");
        const auto batches = exporttest::batches(61);
        const auto report = engine::adapterLoss(base.toStdString(), checkpoint.toStdString(), batches);
        QVERIFY2(report.isOk(), report.message().c_str());
        const double reference = exporttest::referenceLoss(adapterLogits(base, checkpoint, exporttest::ids(batches[0])),
                                                           batches[0]);
        QVERIFY2(std::abs(report->meanLoss - reference) < 1e-9 * reference,
                 qPrintable(QString("%1 vs %2").arg(report->meanLoss).arg(reference)));
        QCOMPARE(report->tokens, std::int64_t(2 * 10)); // labels 1..10 of each row (label 0 is masked and never predicted)
        QVERIFY(engine::lossesAgree(report->meanLoss, reference * (1 + 5e-5)));
        QVERIFY(!engine::lossesAgree(report->meanLoss, reference * (1 + 5e-4)));

        // The merged export, verified the way the dialog does: same loss within 1e-4 relative.
        const auto summary = engine::runExport(request(checkpoint, dir.filePath("merged"), {"merged"}));
        QVERIFY2(summary.isOk(), summary.message().c_str());
        const auto merged = engine::modelLoss(dir.filePath("merged").toStdString(), batches);
        QVERIFY2(merged.isOk(), merged.message().c_str());
        QVERIFY(engine::lossesAgree(merged->meanLoss, report->meanLoss));

        // Packed rows are refused rather than mis-measured.
        auto packed = batches;
        packed[0].positionIds.assign(packed[0].inputIds.size(), 1);
        packed[0].attentionMask.assign(packed[0].inputIds.size(), 1);
        packed[0].positionIds[5] = 0;
        const auto refused = engine::modelLoss(base.toStdString(), packed);
        QVERIFY(!refused.isOk());
        QVERIFY2(QString::fromStdString(refused.message()).contains("packs several examples"), refused.message().c_str());
    }

    void baseModelResolution()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "gpt2");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4})");
        QCOMPARE(QString::fromStdString(engine::resolveBaseModelFolder(checkpoint.toStdString()).value()),
                 QDir(base).absolutePath());
        // adapter_config.json names a hub id: trainer_state.json's settings path is used.
        auto json = nlohmann::json::parse(engine::readFile((checkpoint + "/adapter_config.json").toStdString()));
        json["base_model_name_or_path"] = "openai-community/gpt2";
        engine::writeFileAtomically((checkpoint + "/adapter_config.json").toStdString(), json.dump());
        QCOMPARE(QString::fromStdString(engine::resolveBaseModelFolder(checkpoint.toStdString()).value()),
                 QDir(base).absolutePath());
        QFile::remove(checkpoint + "/trainer_state.json");
        const auto missing = engine::resolveBaseModelFolder(checkpoint.toStdString());
        QVERIFY(!missing.isOk());
        QVERIFY2(QString::fromStdString(missing.message()).contains("--model"), missing.message().c_str());
        QVERIFY(engine::resolveBaseModelFolder(checkpoint.toStdString(), base.toStdString()).isOk());
    }
};

QTEST_GUILESS_MAIN(TestExport)
#include "test_export.moc"

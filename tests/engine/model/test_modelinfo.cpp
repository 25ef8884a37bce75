// inspectModel() on tiny model folders: sizes, parameter count and bytes
// (checked against the loaded network), stored dtype, projections, tokenizer
// and chat-template detection, errors; and the training-memory estimate.
#include "engine/core/atomicfile.h"
#include "engine/model/causallm.h"
#include "engine/model/modelinfo.h"
#include "tests/engine/model/tinymodel.h"

#include <QTemporaryDir>
#include <QTest>

class TestModelInfo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void describesALlamaFolder()
    {
        QTemporaryDir dir;
        const std::string config = tiny::configJson("llama", R"({"torch_dtype": "bfloat16"})");
        tiny::writeModel(dir.path(), config, tiny::randomWeights(config), torch::kBFloat16);
        engine::writeFileAtomically((dir.path() + "/tokenizer.json").toStdString(), "{}");
        engine::writeFileAtomically(
            (dir.path() + "/tokenizer_config.json").toStdString(), R"({"chat_template": "{{ messages }}"})");
        const auto info = engine::inspectModel(dir.path().toStdString());
        QVERIFY2(info, info.message().c_str());
        QCOMPARE(info->architecture, std::string("LlamaForCausalLM"));
        QCOMPARE(info->layers, std::int64_t(2));
        QCOMPARE(info->kvHeads, std::int64_t(2));
        QCOMPARE(info->headDim, std::int64_t(8));
        QCOMPARE(info->storedDtype, std::string("BF16"));
        QVERIFY(info->hasTokenizerJson && info->hasTokenizerConfig && info->hasChatTemplate);
        QCOMPARE(info->chatTemplateSource, std::string("tokenizer_config.json"));
        QCOMPARE(info->weightFiles, std::vector<std::string> { "model.safetensors" });
        QCOMPARE(info->linearNames,
            (std::vector<std::string> { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "lm_head" }));
        const engine::CausalLm model = engine::loadCausalLm(dir.path().toStdString());
        std::int64_t parameters = 0;
        for (const auto &p : model.module().parameters())
            parameters += p.numel();
        QCOMPARE(info->parameterCount, parameters);
        QCOMPARE(info->weightBytes, std::uint64_t(parameters * 2));
    }

    void gpt2BuffersAreNotParameters()
    {
        QTemporaryDir dir;
        const std::string config = tiny::configJson("gpt2");
        tiny::NamedTensors weights = tiny::randomWeights(config);
        std::int64_t parameters = 0;
        for (const auto &w : weights)
            parameters += w.second.numel();
        weights.emplace_back("transformer.h.0.attn.bias", torch::ones({ 1, 1, 24, 24 }));
        tiny::writeModel(dir.path(), config, weights);
        engine::writeFileAtomically((dir.path() + "/chat_template.jinja").toStdString(), "{{ x }}");
        const auto info = engine::inspectModel(dir.path().toStdString());
        QVERIFY2(info, info.message().c_str());
        QCOMPARE(info->parameterCount, parameters);
        QVERIFY(info->tiedEmbeddings);
        QVERIFY(!info->hasTokenizerJson);
        QCOMPARE(info->chatTemplateSource, std::string("chat_template.jinja"));
        QCOMPARE(info->linearNames.front(), std::string("attn.c_attn"));
    }

    // Phi-3's fused projections are what LoRA targets, parameter counts and the
    // memory estimate see; a Gemma 2 folder is tied.
    void describesPhi3AndGemma2Folders()
    {
        QTemporaryDir phi3Dir, gemmaDir;
        const std::string phi3 = tiny::configJson("phi3");
        tiny::writeModel(phi3Dir.path(), phi3, tiny::randomWeights(phi3));
        const auto info = engine::inspectModel(phi3Dir.path().toStdString());
        QVERIFY2(info, info.message().c_str());
        QCOMPARE(info->architecture, std::string("Phi3ForCausalLM"));
        QCOMPARE(info->linearNames, (std::vector<std::string> { "self_attn.qkv_proj", "self_attn.o_proj",
                                        "mlp.gate_up_proj", "mlp.down_proj", "lm_head" }));
        QCOMPARE(info->linears.front().outFeatures, std::int64_t((4 + 2 * 2) * 8)); // (nh + 2 nkv) hd
        const auto estimate = engine::estimateTrainingMemory(info.value(), 2, 16, 4, "f32", false, false);
        QCOMPARE(estimate.loraParameters, std::int64_t(4 * 2 * ((32 + 64) + (32 + 32) + (32 + 96) + (48 + 32))));
        const std::string gemma2 = tiny::configJson("gemma2");
        tiny::writeModel(gemmaDir.path(), gemma2, tiny::randomWeights(gemma2));
        const auto gemma = engine::inspectModel(gemmaDir.path().toStdString());
        QVERIFY2(gemma, gemma.message().c_str());
        QCOMPARE(gemma->modelType, std::string("gemma2"));
        QVERIFY(gemma->tiedEmbeddings);
        QCOMPARE(gemma->headDim, std::int64_t(8));
    }

    void failuresAreReported()
    {
        QTemporaryDir dir;
        engine::writeFileAtomically((dir.path() + "/config.json").toStdString(), tiny::configJson("qwen3"));
        engine::writeFileAtomically((dir.path() + "/pytorch_model.bin").toStdString(), "x");
        const auto info = engine::inspectModel(dir.path().toStdString());
        QVERIFY(!info);
        QVERIFY(QString::fromStdString(info.message()).contains("safetensors only"));
        QVERIFY(!engine::inspectModel((dir.path() + "/nothing").toStdString()));
    }

    void memoryEstimateAddsUp()
    {
        QTemporaryDir dir;
        const std::string config = tiny::configJson("qwen2");
        tiny::writeModel(dir.path(), config, tiny::randomWeights(config));
        const auto info = engine::inspectModel(dir.path().toStdString());
        QVERIFY(info);
        const engine::CausalLm model = engine::loadCausalLm(dir.path().toStdString());
        std::int64_t lora = 0;
        for (const auto &linear : model.linearModules())
            if (linear.layer >= 0)
                lora += 8 * (linear.module->inFeatures() + linear.module->outFeatures());
        const auto f32 = engine::estimateTrainingMemory(info.value(), 2, 16, 8, "f32");
        QCOMPARE(f32.loraParameters, lora);
        QCOMPARE(f32.loraStateBytes, std::uint64_t(lora * 16));
        QCOMPARE(f32.baseWeightBytes, std::uint64_t(info->parameterCount * 4));
        QCOMPARE(f32.totalBytes, f32.baseWeightBytes + f32.loraStateBytes + f32.activationBytes);
        const auto bf16 = engine::estimateTrainingMemory(info.value(), 2, 16, 8, "bf16");
        QVERIFY(bf16.activationBytes < f32.activationBytes);
        QVERIFY(engine::estimateTrainingMemory(info.value(), 4, 16, 8).activationBytes > f32.activationBytes);
    }
};

QTEST_GUILESS_MAIN(TestModelInfo)
#include "test_modelinfo.moc"

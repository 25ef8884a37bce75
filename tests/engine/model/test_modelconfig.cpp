// config.json parsing for every supported family: defaults, the old and new
// RoPE keys, rope scaling (also Phi-3's longrope), explicit head_dim, eos as
// int or list, tied embeddings per family, sliding windows (Gemma 2/3 local
// layers), the text part of a multimodal gemma3 folder, and clear errors for
// bad configs.
#include "engine/model/modelconfig.h"

#include <QTest>

#include <cmath>

namespace {

engine::ModelConfig parse(const std::string &json)
{
    auto result = engine::parseModelConfig(json, "config.json");
    if (!result)
        throw std::runtime_error(result.message());
    return result.value();
}

void addGemmaAndPhi3Errors(const QString &base)
{
    QTest::newRow("phi3 dynamic rope")
        << R"({"model_type": "phi3", "rope_scaling": {"type": "dynamic", "factor": 2.0}, )" + base + "}"
        << "\"rope_scaling\" has the type 'dynamic'";
    QTest::newRow("phi3 longrope factors of the wrong length")
        << R"({"model_type": "phi3", "rope_scaling": {"type": "longrope", "short_factor": [1.0],
             "long_factor": [1.0]}, )" + base + "}"
        << "short_factor and long_factor must each hold 4 numbers";
    QTest::newRow("phi3 longrope without long_factor")
        << R"({"model_type": "phi3", "rope_scaling": {"type": "longrope", "short_factor": [1.0]}, )" + base + "}"
        << "\"long_factor\"";
    QTest::newRow("vision-only folder") << R"({"model_type": "siglip_vision_model", "hidden_size": 32})"
                                        << "'siglip_vision_model', a vision encoder";
    QTest::newRow("gemma3 without text_config") << R"({"model_type": "gemma3", "vision_config": {}})"
                                                << "\"text_config\" is missing";
    QTest::newRow("gemma3 bidirectional attention")
        << R"({"model_type": "gemma3_text", "use_bidirectional_attention": true, )" + base + "}"
        << "\"use_bidirectional_attention\" is true";
    QTest::newRow("gemma2 unknown layer type")
        << R"({"model_type": "gemma2", "layer_types": ["chunked_attention"], )" + base + "}"
        << "\"layer_types\" holds \"chunked_attention\" for layer 0";
    QTest::newRow("gemma2 activation") << R"({"model_type": "gemma2", "hidden_activation": "relu", )" + base + "}"
                                       << "\"hidden_activation\" is 'relu'";
    QTest::newRow("gemma2 query scalar") << R"({"model_type": "gemma2", "query_pre_attn_scalar": 0, )" + base + "}"
                                         << "\"query_pre_attn_scalar\" must be positive";
    QTest::newRow("partial rotary out of range")
        << R"({"model_type": "phi3", "partial_rotary_factor": 1.5, )" + base + "}"
        << "partial_rotary_factor must lie in (0, 1]";
}

} // namespace

class TestModelConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void gpt2KeysAndDefaults()
    {
        const auto c = parse(R"({"model_type": "gpt2", "n_embd": 64, "n_layer": 3, "n_head": 4, "n_ctx": 128,
                                 "eos_token_id": 50256, "torch_dtype": "float32"})");
        QCOMPARE(c.architecture, std::string("GPT2LMHeadModel"));
        QCOMPARE(c.hiddenSize, std::int64_t(64));
        QCOMPARE(c.intermediateSize, std::int64_t(256)); // n_inner null -> 4 * n_embd
        QCOMPARE(c.headDim, std::int64_t(16));
        QCOMPARE(c.maxPositions, std::int64_t(128)); // n_ctx when n_positions is absent
        QCOMPARE(c.vocabSize, std::int64_t(50257));
        QVERIFY(c.tieWordEmbeddings);
        QCOMPARE(c.hiddenAct, std::string("gelu_new"));
        QCOMPARE(c.eosTokenIds, std::vector<std::int64_t> { 50256 });
        QCOMPARE(c.storedDtype, std::string("float32"));
        QVERIFY(c.qkvBias && c.outputBias && c.mlpBias);
    }

    void llamaFamilyDefaults_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("architecture");
        QTest::addColumn<bool>("qkvBias");
        QTest::addColumn<bool>("qkNorm");
        QTest::addColumn<int>("kvHeads");
        QTest::newRow("llama") << "llama"
                               << "LlamaForCausalLM" << false << false << 32; // = heads
        QTest::newRow("mistral") << "mistral"
                                 << "MistralForCausalLM" << false << false << 8;
        QTest::newRow("qwen2") << "qwen2"
                               << "Qwen2ForCausalLM" << true << false << 32;
        QTest::newRow("qwen3") << "qwen3"
                               << "Qwen3ForCausalLM" << false << true << 32;
    }

    void llamaFamilyDefaults()
    {
        QFETCH(QString, type);
        QFETCH(QString, architecture);
        QFETCH(bool, qkvBias);
        QFETCH(bool, qkNorm);
        QFETCH(int, kvHeads);
        const auto c = parse(R"({"model_type": ")" + type.toStdString()
            + R"(", "hidden_size": 256, "intermediate_size": 96, "num_hidden_layers": 2,
                                 "num_attention_heads": 32, "head_dim": 8, "vocab_size": 100})");
        QCOMPARE(QString::fromStdString(c.architecture), architecture);
        QCOMPARE(c.qkvBias, qkvBias);
        QCOMPARE(c.qkNorm, qkNorm);
        QCOMPARE(c.numKvHeads, std::int64_t(kvHeads));
        QVERIFY(!c.tieWordEmbeddings);
        QVERIFY(!c.outputBias);
        QCOMPARE(c.ropeTheta, 10000.0);
        QCOMPARE(c.ropeScaling.type, std::string("default"));
        QCOMPARE(c.normEps, 1e-6);
        QCOMPARE(c.slidingWindows.size(), std::size_t(2));
    }

    void explicitHeadDimWins()
    {
        const auto c = parse(R"({"model_type": "mistral", "hidden_size": 64, "num_attention_heads": 4,
                                 "num_key_value_heads": 2, "head_dim": 32, "num_hidden_layers": 1,
                                 "intermediate_size": 8, "vocab_size": 10, "sliding_window": null})");
        QCOMPARE(c.headDim, std::int64_t(32));
        QCOMPARE(c.slidingWindows, std::vector<std::int64_t> { 0 });
    }

    void ropeThetaFromEitherLocation_data()
    {
        QTest::addColumn<QString>("keys");
        QTest::addColumn<double>("theta");
        QTest::addColumn<QString>("type");
        QTest::newRow("v4 rope_theta") << R"("rope_theta": 500000.0)" << 500000.0 << "default";
        QTest::newRow("v5 rope_parameters")
            << R"("rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0})" << 1e6 << "default";
        QTest::newRow("v4 llama3 scaling")
            << R"("rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})"
            << 500000.0 << "llama3";
        QTest::newRow("v5 llama3 parameters")
            << R"("rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})"
            << 500000.0 << "llama3";
        QTest::newRow("old linear key") << R"("rope_scaling": {"type": "linear", "factor": 4.0})" << 10000.0
                                        << "linear";
        QTest::newRow("absent") << R"("bos_token_id": 1)" << 10000.0 << "default";
    }

    void ropeThetaFromEitherLocation()
    {
        QFETCH(QString, keys);
        QFETCH(double, theta);
        QFETCH(QString, type);
        const auto c = parse(R"({"model_type": "llama", "hidden_size": 32, "num_attention_heads": 4,
                                 "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 10, )"
            + keys.toStdString() + "}");
        QCOMPARE(c.ropeTheta, theta);
        QCOMPARE(QString::fromStdString(c.ropeScaling.type), type);
        if (type == "llama3") {
            QCOMPARE(c.ropeScaling.originalMaxPositions, std::int64_t(8192));
            QCOMPARE(c.ropeScaling.highFreqFactor, 4.0);
        }
    }

    void eosAsIntOrList()
    {
        const auto c = parse(R"({"model_type": "llama", "hidden_size": 32, "num_attention_heads": 4,
                                 "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 200000,
                                 "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
                                 "tie_word_embeddings": true, "attention_bias": true, "mlp_bias": true})");
        QCOMPARE(c.eosTokenIds, (std::vector<std::int64_t> { 128001, 128008, 128009 }));
        QCOMPARE(c.bosTokenId, std::int64_t(128000));
        QVERIFY(c.tieWordEmbeddings && c.qkvBias && c.outputBias && c.mlpBias);
    }

    void qwenSlidingWindowLayers()
    {
        const auto c = parse(R"({"model_type": "qwen2", "hidden_size": 32, "num_attention_heads": 4,
                                 "num_hidden_layers": 4, "intermediate_size": 8, "vocab_size": 10, "num_key_value_heads": 2,
                                 "use_sliding_window": true, "sliding_window": 16, "max_window_layers": 2})");
        QCOMPARE(c.slidingWindows, (std::vector<std::int64_t> { 0, 0, 16, 16 }));
        const auto off = parse(R"({"model_type": "qwen2", "hidden_size": 32, "num_attention_heads": 4,
                                   "num_hidden_layers": 2, "intermediate_size": 8, "vocab_size": 10, "num_key_value_heads": 2,
                                   "use_sliding_window": false, "sliding_window": 16})");
        QCOMPARE(off.slidingWindows, (std::vector<std::int64_t> { 0, 0 }));
    }

    // An empty config of each family gets transformers' configuration defaults.
    void gemmaAndPhi3Defaults()
    {
        const auto gemma = parse(R"({"model_type": "gemma"})");
        QCOMPARE(gemma.architecture, std::string("GemmaForCausalLM"));
        QCOMPARE(gemma.headDim, std::int64_t(256));
        QCOMPARE(gemma.numKvHeads, std::int64_t(16));
        QVERIFY(gemma.tieWordEmbeddings && gemma.normPlusOne && gemma.scaleEmbeddings && !gemma.sandwichNorms);
        QCOMPARE(gemma.hiddenAct, std::string("gelu_pytorch_tanh"));
        QCOMPARE(gemma.attentionScale, 0.0);
        const auto gemma2 = parse(R"({"model_type": "gemma2", "num_hidden_layers": 4, "query_pre_attn_scalar": 144})");
        QVERIFY(gemma2.sandwichNorms && !gemma2.qkNorm);
        QCOMPARE(gemma2.attnSoftcap, 50.0);
        QCOMPARE(gemma2.finalSoftcap, 30.0);
        QCOMPARE(gemma2.attentionScale, 1.0 / 12.0);
        QCOMPARE(gemma2.slidingWindows, (std::vector<std::int64_t> { 4096, 0, 4096, 0 }));
        const auto gemma3 = parse(R"({"model_type": "gemma3_text", "num_hidden_layers": 7, "sliding_window": 512})");
        QCOMPARE(gemma3.vocabSize, std::int64_t(262208));
        QCOMPARE(gemma3.ropeTheta, 1000000.0);
        QCOMPARE(gemma3.ropeLocalTheta, 10000.0);
        QVERIFY(gemma3.qkNorm && gemma3.attnSoftcap == 0.0 && gemma3.finalSoftcap == 0.0);
        QCOMPARE(gemma3.slidingWindows, (std::vector<std::int64_t> { 512, 512, 512, 512, 512, 0, 512 }));
        const auto phi3 = parse(R"({"model_type": "phi3"})");
        QCOMPARE(phi3.architecture, std::string("Phi3ForCausalLM"));
        QVERIFY(phi3.fusedProjections && !phi3.tieWordEmbeddings);
        QCOMPARE(phi3.numKvHeads, std::int64_t(32));
        QCOMPARE(phi3.normEps, 1e-5);
        QCOMPARE(phi3.slidingWindows, std::vector<std::int64_t>(32, 0));
    }

    // google/gemma-3-4b-it's config.json: a partial text_config over the defaults.
    void gemma3MultimodalReadsTextConfig()
    {
        const auto c = parse(R"({"model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"],
            "eos_token_id": [1, 106], "text_config": {"hidden_size": 2560, "intermediate_size": 10240,
            "model_type": "gemma3_text", "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
            "sliding_window": 1024}, "vision_config": {"model_type": "siglip_vision_model"}})");
        QVERIFY(c.textOfMultimodal);
        QCOMPARE(c.modelType, std::string("gemma3"));
        QCOMPARE(c.architecture, std::string("Gemma3ForConditionalGeneration"));
        QCOMPARE(c.hiddenSize, std::int64_t(2560));
        QCOMPARE(c.numHeads, std::int64_t(8));
        QCOMPARE(c.headDim, std::int64_t(256));
        QCOMPARE(c.ropeScaling.type, std::string("linear"));
        QCOMPARE(c.slidingWindows[5], std::int64_t(0));
        QCOMPARE(c.slidingWindows[6], std::int64_t(1024));
        QCOMPARE(c.eosTokenIds, (std::vector<std::int64_t> { 1, 106 }));
        QCOMPARE(c.bosTokenId, std::int64_t(-1)); // absent at both levels, as for every family
    }

    // microsoft/Phi-3-mini-128k-instruct's RoPE keys (factor lists shortened to head_dim 8).
    void phi3LongRope()
    {
        const auto c = parse(R"({"model_type": "phi3", "hidden_size": 32, "num_attention_heads": 4,
            "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 10, "max_position_embeddings": 131072,
            "original_max_position_embeddings": 4096, "sliding_window": 262144, "partial_rotary_factor": 1.0,
            "rope_scaling": {"type": "su", "short_factor": [1.0, 1.1, 1.2, 1.3], "long_factor": [1.0, 2.0, 3.0, 4.0]}})");
        QCOMPARE(c.ropeScaling.type, std::string("longrope"));
        QCOMPARE(c.ropeScaling.originalMaxPositions, std::int64_t(4096));
        QCOMPARE(c.ropeScaling.factor, 32.0);
        QVERIFY(std::abs(c.ropeScaling.attentionFactor - std::sqrt(1.0 + std::log(32.0) / std::log(4096.0))) < 1e-12);
        QCOMPARE(c.slidingWindows, std::vector<std::int64_t> { 262144 });
        const auto partial = parse(R"({"model_type": "phi3", "hidden_size": 64, "num_attention_heads": 4,
            "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 10, "partial_rotary_factor": 0.75})");
        QCOMPARE(partial.rotaryDim(), std::int64_t(12)); // int(16 * 0.75), as Phi-4-mini's 128 * 0.75
    }

    void badConfigsGiveClearErrors_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("fragment");
        const QString base = R"("hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 1,
                                "intermediate_size": 8, "vocab_size": 10)";
        QTest::newRow("invalid JSON") << "{\"model_type\": "
                                      << "not valid JSON";
        QTest::newRow("not an object") << "[1]"
                                       << "not a JSON object";
        QTest::newRow("no model_type") << "{}"
                                       << "\"model_type\" is missing";
        QTest::newRow("unsupported type") << R"({"model_type": "bert"})"
                                          << "supported model types are gpt2, llama, mistral, qwen2, qwen3";
        QTest::newRow("wrong type of value") << R"({"model_type": "llama", "hidden_size": "big"})"
                                             << "\"hidden_size\" must be an integer";
        QTest::newRow("heads not divisible") << R"({"model_type": "llama", "num_key_value_heads": 3, )" + base + "}"
                                             << "not a multiple of 3";
        QTest::newRow("yarn rope")
            << R"({"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": 4.0}, )" + base + "}"
            << "'yarn'";
        QTest::newRow("llama3 without keys")
            << R"({"model_type": "llama", "rope_scaling": {"rope_type": "llama3", "factor": 8.0}, )" + base + "}"
            << "low_freq_factor";
        QTest::newRow("zero layers") << R"({"model_type": "gpt2", "n_layer": 0})"
                                     << "number of layers must be positive";
        QTest::newRow("odd head_dim") << R"({"model_type": "llama", "head_dim": 7, )" + base + "}"
                                      << "must be even";
        QTest::newRow("other activation") << R"({"model_type": "llama", "hidden_act": "relu", )" + base + "}"
                                          << "\"hidden_act\" is 'relu'";
        QTest::newRow("eos not integer") << R"({"model_type": "gpt2", "eos_token_id": "x"})"
                                         << "eos_token_id";
        addGemmaAndPhi3Errors(base);
    }


    void badConfigsGiveClearErrors()
    {
        QFETCH(QString, json);
        QFETCH(QString, fragment);
        const auto result = engine::parseModelConfig(json.toStdString(), "folder/config.json");
        QVERIFY(!result);
        const QString message = QString::fromStdString(result.message());
        QVERIFY2(message.contains(fragment), qPrintable("'" + message + "' lacks '" + fragment + "'"));
        QVERIFY2(message.contains("folder/config.json"), qPrintable(message));
        QVERIFY2(message.contains("hint:"), qPrintable(message));
    }
};

QTEST_GUILESS_MAIN(TestModelConfig)
#include "test_modelconfig.moc"

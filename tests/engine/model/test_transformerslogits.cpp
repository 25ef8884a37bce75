// Lorafit's logits against the real transformers (the pinned reference
// environment of tests/reference/requirements.txt, made by the
// reference_venv test) and against the own f64 reference
// (tests/reference/ref_causal_lm.py) on tiny random folders of the Gemma and
// Phi-3 families, in f32: max |Δ| within 1e-5. transformers 4.49 (the newest
// on Debian's torch 1.13) has no gemma3, so gemma3 rows compare with the f64
// reference only. Skips without the environment. Prints one line per row
// for tests/bench/RESULTS.md.
#include "tests/engine/model/tinymodel.h"

#include "engine/core/atomicfile.h"
#include "engine/io/safetensorstorch.h"
#include "engine/model/causallm.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

constexpr double kTolerance = 1e-5; // max absolute logit difference, f32

const QString kVenvPython = QStringLiteral(LF_BINARY_DIR "/refvenv/bin/python");

double maxAbsDiff(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// Runs hf_logits.py on dir (ids.json already written by referenceLogits);
// undefined with `skip` set when transformers lacks the model type.
torch::Tensor transformersLogits(const QString &dir, QString &skip)
{
    QProcess script;
    script.start(kVenvPython, { QStringLiteral(LF_SOURCE_DIR "/tests/reference/hf_logits.py"), dir });
    if (!script.waitForFinished(300000))
        throw std::runtime_error("hf_logits.py did not finish");
    if (script.exitCode() == 77) {
        skip = QString::fromUtf8(script.readAllStandardError()).trimmed();
        return {};
    }
    if (script.exitCode() != 0)
        throw std::runtime_error("hf_logits.py failed: " + script.readAllStandardError().toStdString());
    return engine::loadSafetensors((dir + QStringLiteral("/hf_logits.safetensors")).toStdString()).at("logits").clone();
}

} // namespace

class TestTransformersLogits : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        torch::set_num_threads(2);
        if (!QFile::exists(kVenvPython))
            QSKIP("no reference environment at " LF_BINARY_DIR "/refvenv (hint: ctest -L reference makes it)");
    }

    void agrees_data()
    {
        QTest::addColumn<QString>("modelType");
        QTest::addColumn<QString>("extra");
        QTest::newRow("llama (control)") << "llama" << "{}";
        QTest::newRow("gemma") << "gemma" << "{}";
        QTest::newRow("gemma exact gelu") << "gemma" << R"({"hidden_act": "gelu"})";
        QTest::newRow("gemma2 softcaps window") << "gemma2" << "{}";
        QTest::newRow("gemma2 no caps") << "gemma2"
                                        << R"({"attn_logit_softcapping": null, "final_logit_softcapping": null})";
        QTest::newRow("gemma3_text") << "gemma3_text" << "{}";
        QTest::newRow("gemma3_text linear rope softcaps")
            << "gemma3_text"
            << R"({"rope_scaling": {"rope_type": "linear", "factor": 8.0}, "attn_logit_softcapping": 4.0,
                 "final_logit_softcapping": 6.0, "num_hidden_layers": 3, "sliding_window_pattern": 3})";
        QTest::newRow("phi3") << "phi3" << R"({"pad_token_id": 0})";
        QTest::newRow("phi3 partial rotary window tied")
            << "phi3"
            << R"({"pad_token_id": 0, "partial_rotary_factor": 0.5, "sliding_window": 5, "tie_word_embeddings": true,
                 "head_dim": 12, "num_key_value_heads": 4})";
        QTest::newRow("phi3 longrope long factors")
            << "phi3"
            << R"({"pad_token_id": 0, "original_max_position_embeddings": 8, "rope_scaling": {"type": "longrope",
                 "short_factor": [1.0, 1.5, 2.0, 3.0], "long_factor": [2.0, 4.0, 8.0, 16.0]}})";
        QTest::newRow("phi3 longrope short factors")
            << "phi3"
            << R"({"pad_token_id": 0, "original_max_position_embeddings": 16, "rope_scaling": {"type": "longrope",
                 "short_factor": [1.0, 1.5, 2.0, 3.0], "long_factor": [2.0, 4.0, 8.0, 16.0]}})";
    }

    void agrees()
    {
        QFETCH(QString, modelType);
        QFETCH(QString, extra);
        QTemporaryDir dir;
        const std::string config = tiny::configJson(modelType.toStdString(), extra.toStdString());
        tiny::writeModel(dir.path(), config, tiny::randomWeights(config));
        const engine::CausalLm model = engine::loadCausalLm(dir.path().toStdString());
        const torch::Tensor ids = tiny::randomIds(2, 12, model.config().vocabSize);
        const torch::Tensor logits = model.forward(ids); // (B, T, V)
        QString skip;
        const torch::Tensor own = tiny::referenceLogits(dir.path(), ids, skip); // also writes ids.json
        const double ownDiff = own.defined() ? maxAbsDiff(logits, own) : -1.0;
        const torch::Tensor hf = transformersLogits(dir.path(), skip);
        const double hfDiff = hf.defined() ? maxAbsDiff(logits, hf) : -1.0;
        qInfo("RESULT %s: max |logit diff| vs transformers %s, vs own f64 reference %s (max |logit| %.3g)",
            qPrintable(QString(QTest::currentDataTag())),
            hf.defined() ? qPrintable(QString::number(hfDiff, 'g', 3)) : qPrintable("n/a (" + skip + ")"),
            own.defined() ? qPrintable(QString::number(ownDiff, 'g', 3)) : "n/a",
            logits.abs().max().item<double>());
        if (own.defined())
            QVERIFY2(ownDiff <= kTolerance, qPrintable(QString::number(ownDiff)));
        if (hf.defined())
            QVERIFY2(hfDiff <= kTolerance, qPrintable(QString::number(hfDiff)));
        QVERIFY(own.defined() || hf.defined());
    }
};

QTEST_GUILESS_MAIN(TestTransformersLogits)
#include "test_transformerslogits.moc"

// The committed demo (resources/demo): the base model loads, its tokenizer
// round-trips and has the ChatML template, it predicts held-out-style King
// James and Jargon File text far better than chance, the folder stays within
// 20 MB, and demo.json parses into valid dataset, LoRA, optimizer and
// training settings whose datasets load with the demo tokenizer.
#include "engine/data/chattemplatedetector.h"
#include "engine/data/dataloader.h"
#include "engine/lora/loraconfig.h"
#include "engine/model/causallm.h"
#include "engine/project/projectsettings.h"
#include "engine/tokenizer/tokenizerloader.h"
#include "engine/train/optimizerconfig.h"
#include "engine/train/trainingconfig.h"

#include <QDirIterator>
#include <QFile>
#include <QTest>

#include <cmath>

namespace {

const QString kDemo = QStringLiteral(LF_SOURCE_DIR "/resources/demo");

std::string modelFolder()
{
    return (kDemo + QStringLiteral("/model")).toStdString();
}

// Mean next-token loss (nats) of `text` under the model.
double meanLoss(const engine::CausalLm &model, const engine::Tokenizer &tokenizer, const std::string &text)
{
    torch::NoGradGuard noGrad;
    const std::vector<engine::TokenId> ids32 = tokenizer.encode(text);
    const std::vector<std::int64_t> ids(ids32.begin(), ids32.end());
    const torch::Tensor input = torch::tensor(ids).unsqueeze(0); // (1, T)
    const torch::Tensor logProbs = torch::log_softmax(model.forward(input)[0], -1); // (T, V)
    double sum = 0;
    for (std::size_t t = 0; t + 1 < ids.size(); ++t)
        sum -= logProbs[static_cast<std::int64_t>(t)][ids[t + 1]].item<double>();
    return sum / static_cast<double>(ids.size() - 1);
}

} // namespace

class TestDemoResources : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fitsTheSizeBudget()
    {
        qint64 total = 0;
        QDirIterator it(kDemo, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext())
            total += QFileInfo(it.next()).size();
        QVERIFY2(total <= 20 * 1024 * 1024, qPrintable(QStringLiteral("resources/demo holds %1 bytes").arg(total)));
    }

    void modelLoadsAndKnowsItsCorpus()
    {
        const engine::CausalLm model = engine::loadCausalLm(modelFolder());
        QCOMPARE(model.config().modelType, std::string("llama"));
        std::int64_t parameters = 0;
        for (const auto &p : model.module().parameters())
            parameters += p.numel();
        QVERIFY2(parameters >= 1000000 && parameters <= 10000000, qPrintable(QString::number(parameters)));

        auto tokenizer = engine::loadTokenizer(modelFolder());
        QVERIFY2(tokenizer, tokenizer.message().c_str());
        QCOMPARE(static_cast<std::int64_t>(tokenizer.value()->vocabSize()), model.config().vocabSize);
        for (const std::string text :
            { "In the beginning God created the heaven and the earth.", "A hacker's kludge: it's crufty, but it works!",
                "Ünïcödé & emoji \xF0\x9F\x98\x80 \t tabs\n\n", "<|im_start|>user\nHi<|im_end|>\n" })
            QCOMPARE(tokenizer.value()->decode(tokenizer.value()->encode(text)), text);

        // Chance is ln(vocabulary) ~ 8.3 nats; a trained model is far below it on text like its corpus.
        const double kjv = meanLoss(model, *tokenizer.value(),
            "And it came to pass, when the king heard the words of the law, that he rent his clothes. And the king "
            "commanded the priest, saying, Go ye, enquire of the LORD for me, and for the people.");
        const double jargon = meanLoss(model, *tokenizer.value(),
            "A program that is written in a hurry is often a kludge, and the hackers who maintain it call the code "
            "crufty. See also hack.");
        QVERIFY2(kjv < 4.5, qPrintable(QString::number(kjv)));
        QVERIFY2(jargon < 6.0, qPrintable(QString::number(jargon)));
    }

    void hasChatMlTemplate()
    {
        engine::Result<engine::data::TemplateDetection> detection
            = engine::data::detectModelChatTemplate(modelFolder());
        QVERIFY2(detection, detection.message().c_str());
        QVERIFY(detection.value().recognised);
        QCOMPARE(detection.value().chatTemplate.kind, engine::data::TemplateKind::ChatML);
    }

    void settingsParseAndDatasetsLoad()
    {
        QFile file(kDemo + QStringLiteral("/demo.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const std::vector<engine::SettingsSection> sections
            = engine::parseSettingsDocument(file.readAll().toStdString(), "demo.json");
        QCOMPARE(sections.size(), std::size_t(5));
        std::optional<engine::data::DatasetConfig> dataset;
        for (const engine::SettingsSection &section : sections) {
            if (section.name == "dataset") {
                auto parsed = engine::data::datasetConfigFromJson(section.json);
                QVERIFY2(parsed, parsed.message().c_str());
                dataset = parsed.value();
            } else if (section.name == "lora") {
                auto parsed = engine::LoraConfig::fromJson(section.json);
                QVERIFY2(parsed && parsed.value().validate(), parsed.message().c_str());
            } else if (section.name == "optimizer") {
                auto parsed = engine::OptimizerConfig::fromJson(section.json);
                QVERIFY2(parsed && parsed.value().validate(), parsed.message().c_str());
                QVERIFY(parsed.value().loraPlusRatio > 1.0); // the demo shows LoRA+
            } else if (section.name == "training") {
                auto parsed = engine::TrainingConfig::fromJson(section.json);
                QVERIFY2(parsed && parsed.value().validate(), parsed.message().c_str());
            }
        }
        QVERIFY(dataset.has_value());
        QVERIFY(dataset->validate());

        auto tokenizer = engine::loadTokenizer(modelFolder());
        QVERIFY(tokenizer);
        const std::string base = kDemo.toStdString() + "/";
        for (const auto &[train, validation] : { std::pair { dataset->trainPath, dataset->validationPath },
                 std::pair { std::string("data/chat_train.jsonl"), std::string("data/chat_validation.jsonl") } }) {
            engine::data::DatasetConfig config = *dataset;
            config.shape = engine::data::Shape::Auto;
            config.lossOn = engine::data::LossOn::Auto;
            config.trainPath = base + train;
            config.validationPath = base + validation;
            auto loader = engine::data::DataLoader::open(config, *tokenizer.value());
            QVERIFY2(loader, loader.message().c_str());
            QVERIFY(loader.value()->stats().trainExamples >= 500);
            QVERIFY(loader.value()->stats().validationExamples >= 50);
            QCOMPARE(loader.value()->stats().skippedRecords, std::int64_t(0));
        }
    }
};

QTEST_GUILESS_MAIN(TestDemoResources)
#include "test_demoresources.moc"

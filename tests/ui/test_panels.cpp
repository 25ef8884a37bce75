// Each panel accepts input and validates it: the engine's messages appear next
// to the field at fault; the model, data preview and adapter counts agree with
// figures computed here from the tiny model and dataset the test writes. Also
// the project document's dirty state and save / reopen round trip.
#include "tests/ui/guitestdata.h"

#include "app/projectdocument.h"
#include "ui/mainwindow.h"
#include "ui/panels/adapterpanel.h"
#include "ui/panels/datapanel.h"
#include "ui/panels/datasetpreviewview.h"
#include "ui/panels/modelpanel.h"
#include "ui/panels/trainingsettingspanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

class TestPanels : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_model;
    QString m_data;

    template <typename T>
    static T *field(QWidget *panel, const char *name)
    {
        T *widget = panel->findChild<T *>(QLatin1String(name));
        if (!widget)
            qFatal("no field %s", name);
        return widget;
    }

    static void typeInto(QLineEdit *edit, const QString &text)
    {
        edit->setText(text);
        Q_EMIT edit->editingFinished();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_model = guitest::writeTinyModel(m_dir.filePath(QStringLiteral("tiny-gpt2")));
        m_data = guitest::writePromptCompletion(m_dir.filePath(QStringLiteral("animals.jsonl")), 24);
    }

    void modelPanelInspectsAndReportsInline()
    {
        ui::MainWindow window;
        ui::ModelPanel *panel = window.modelPanel();
        panel->setModelFolder(m_dir.filePath(QStringLiteral("missing")));
        QVERIFY(!panel->errorText().isEmpty());
        QVERIFY(!panel->modelInfo());
        panel->setModelFolder(m_model);
        QCOMPARE(panel->errorText(), QString());
        QVERIFY(panel->modelInfo());
        QCOMPARE(panel->modelInfo()->layers, std::int64_t(2));
        QVERIFY(field<QLabel>(panel, "architecture")->text().contains(QStringLiteral("GPT2LMHeadModel")));
        QVERIFY(field<QLabel>(panel, "tokenizer")->text().contains(QStringLiteral("tokenizer.json")));
        QVERIFY(field<QLabel>(panel, "memory")->text().startsWith(QStringLiteral("≈")));
        QCOMPARE(window.document()->settings().modelPath, m_model.toStdString());
        QVERIFY(window.document()->isDirty());
    }

    void dataPanelPreviewsAndValidates()
    {
        ui::MainWindow window;
        window.modelPanel()->setModelFolder(m_model);
        ui::DataPanel *panel = window.dataPanel();
        field<QSpinBox>(panel, "maxLength")->setValue(50);
        panel->setTrainFile(m_data);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->previewPending() && panel->preview(), 20000);
        const auto &preview = *panel->preview();
        QCOMPARE(preview.records, std::int64_t(24));
        QVERIFY(preview.tokenized);
        // Byte-level tokens: short records are ≤ 39 tokens, every fourth (6 of 24) is ≥ 64.
        QCOMPARE(preview.overMaxLength, std::int64_t(6));
        QVERIFY(panel->previewView()->histogramBars() > 0);
        const QString html = panel->previewView()->examplesHtml();
        QVERIFY(html.contains(QStringLiteral("meows")));
        QVERIFY(html.contains(QStringLiteral("background"))); // trained tokens highlighted

        field<QSpinBox>(panel, "maxLength")->setValue(1);
        QVERIFY(panel->errorFor(QStringLiteral("maxLength")).contains(QStringLiteral("maximum length")));
        field<QSpinBox>(panel, "maxLength")->setValue(64);
        QCOMPARE(panel->errorFor(QStringLiteral("maxLength")), QString());
        field<QDoubleSpinBox>(panel, "validationFraction")->setValue(0.9);
        QVERIFY(panel->errorFor(QStringLiteral("validationFraction")).contains(QStringLiteral("validation fraction")));
        field<QDoubleSpinBox>(panel, "validationFraction")->setValue(0.1);

        QFile bad(m_dir.filePath(QStringLiteral("bad.jsonl")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{\"prompt\": \"a\", \"completion\": \"b\"}\n{not json\n");
        bad.close();
        panel->setTrainFile(bad.fileName());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->previewPending(), 20000);
        QTest::qWait(500);
        const QString error = panel->errorFor(QStringLiteral("trainPath")) + panel->errorFor(QString());
        QVERIFY2(error.contains(QStringLiteral("bad.jsonl:2")), qPrintable(error)); // file and line
    }

    void adapterPanelCountsAndValidates()
    {
        ui::MainWindow window;
        window.modelPanel()->setModelFolder(m_model);
        ui::AdapterPanel *panel = window.adapterPanel();
        // GPT-2 default target c_attn (32 → 96) in 2 layers at rank 8: 2 · 8 · (32 + 96).
        QCOMPARE(panel->trainableParameters(), qint64(2 * 8 * (32 + 96)));
        QCOMPARE(panel->targetedMatrices(), 2);
        field<QSpinBox>(panel, "rank")->setValue(4);
        QCOMPARE(panel->trainableParameters(), qint64(2 * 4 * (32 + 96)));

        QTreeWidget *tree = field<QTreeWidget>(panel, "moduleTree");
        const auto items = tree->findItems(QStringLiteral("attn.c_proj"), Qt::MatchExactly);
        QCOMPARE(items.size(), 1);
        items.front()->setCheckState(0, Qt::Checked);
        QCOMPARE(panel->trainableParameters(), qint64(2 * 4 * (32 + 96) + 2 * 4 * (32 + 32)));
        QCOMPARE(window.document()->settings().lora.targetModules.size(), size_t(2));

        field<QCheckBox>(panel, "dora")->setChecked(true); // + one magnitude per output feature
        QCOMPARE(panel->trainableParameters(), qint64(2 * 4 * (32 + 96) + 2 * 4 * (32 + 32) + 2 * (96 + 32)));

        field<QSpinBox>(panel, "rank")->setValue(0);
        QVERIFY(panel->errorFor(QStringLiteral("rank")).contains(QStringLiteral("lora.rank")));
        field<QSpinBox>(panel, "rank")->setValue(8);
        QCOMPARE(panel->errorFor(QStringLiteral("rank")), QString());
        field<QDoubleSpinBox>(panel, "dropout")->setValue(1.5);
        QVERIFY(panel->errorFor(QStringLiteral("dropout")).contains(QStringLiteral("lora.dropout")));
        field<QDoubleSpinBox>(panel, "dropout")->setValue(0.0);

        field<QComboBox>(panel, "method")->setCurrentIndex(0);
        QCOMPARE(window.document()->settings().optimizer.loraPlusRatio, 1.0);
        field<QComboBox>(panel, "method")->setCurrentIndex(1);
        QCOMPARE(window.document()->settings().optimizer.loraPlusRatio, 16.0);
        field<QDoubleSpinBox>(panel, "loraPlusRatio")->setValue(0.5);
        QVERIFY(panel->errorFor(QStringLiteral("loraPlusRatio")).contains(QStringLiteral("loraplus_ratio")));
        field<QDoubleSpinBox>(panel, "loraPlusRatio")->setValue(16.0);

        // Automatic λ: the settings say "auto", the scope combo applies, probing is switched on.
        QVERIFY(!field<QComboBox>(panel, "ratioScope")->isEnabled());
        field<QComboBox>(panel, "method")->setCurrentIndex(2);
        QVERIFY(window.document()->settings().optimizer.autoRatio);
        QVERIFY(window.document()->settings().training.probeEvery > 0);
        QVERIFY(field<QComboBox>(panel, "ratioScope")->isEnabled());
        field<QComboBox>(panel, "ratioScope")->setCurrentIndex(1);
        QCOMPARE(window.document()->settings().optimizer.ratioScope, engine::RatioScope::Module);
        QVERIFY(window.document()->settings().optimizer.toJson().find("\"auto\"") != std::string::npos);
        // Riemannian: one rate, no λ.
        field<QComboBox>(panel, "method")->setCurrentIndex(3);
        QCOMPARE(window.document()->settings().optimizer.kind, engine::OptimizerKind::Riemannian);
        QVERIFY(!window.document()->settings().optimizer.autoRatio);
        QVERIFY(!field<QDoubleSpinBox>(panel, "loraPlusRatio")->isEnabled());
        field<QComboBox>(panel, "method")->setCurrentIndex(1);
        QCOMPARE(window.document()->settings().optimizer.kind, engine::OptimizerKind::AdamW);
    }

    void trainingPanelValidates()
    {
        ui::MainWindow window;
        ui::TrainingSettingsPanel *panel = window.trainingSettingsPanel();
        field<QSpinBox>(panel, "batchSize")->setValue(0);
        QVERIFY(panel->errorFor(QStringLiteral("batchSize")).contains(QStringLiteral("training.batch_size")));
        field<QSpinBox>(panel, "batchSize")->setValue(2);
        QCOMPARE(window.document()->settings().training.batchSize, 2);
        QCOMPARE(panel->errorFor(QStringLiteral("batchSize")), QString());
        typeInto(field<QLineEdit>(panel, "learningRate"), QStringLiteral("fast"));
        QVERIFY(panel->errorFor(QStringLiteral("learningRate")).contains(QStringLiteral("not a number")));
        typeInto(field<QLineEdit>(panel, "learningRate"), QStringLiteral("2"));
        QVERIFY(panel->errorFor(QStringLiteral("learningRate")).contains(QStringLiteral("optimizer.learning_rate")));
        typeInto(field<QLineEdit>(panel, "learningRate"), QStringLiteral("3e-4"));
        QCOMPARE(window.document()->settings().optimizer.learningRate, 3e-4);
        QCOMPARE(panel->errorFor(QStringLiteral("learningRate")), QString());

        QCOMPARE(window.document()->settings().training.baseWeights, std::string("auto"));
        QCOMPARE(field<QComboBox>(panel, "baseWeights")->currentData().toString(), QStringLiteral("auto"));
        field<QComboBox>(panel, "baseWeights")->setCurrentIndex(
            field<QComboBox>(panel, "baseWeights")->findData(QStringLiteral("nf4")));
        QCOMPARE(window.document()->settings().training.baseWeights, std::string("nf4"));

        // A 64-bit seed from a settings file survives editing another field and a save.
        engine::RunSettings settings = window.document()->settings();
        settings.modelPath = m_model.toStdString();
        settings.dataset.trainPath = m_data.toStdString();
        settings.training.seed = (std::uint64_t(1) << 40) + 3;
        window.document()->setSettings(settings);
        QCOMPARE(field<QLineEdit>(panel, "seed")->text(), QStringLiteral("1099511627779"));
        field<QSpinBox>(panel, "batchSize")->setValue(3);
        QCOMPARE(window.document()->settings().training.seed, (std::uint64_t(1) << 40) + 3);
        const QString saved = m_dir.filePath(QStringLiteral("seed.lorafit"));
        QCOMPARE(window.document()->saveAs(saved), QString());
        window.document()->newProject(); // closes the file
        QCOMPARE(window.document()->open(saved), QString());
        QCOMPARE(window.document()->settings().training.seed, (std::uint64_t(1) << 40) + 3);
        typeInto(field<QLineEdit>(panel, "seed"), QStringLiteral("-1"));
        QVERIFY(panel->errorFor(QStringLiteral("seed")).contains(QStringLiteral("training.seed")));
        typeInto(field<QLineEdit>(panel, "seed"), QStringLiteral("18446744073709551615"));
        QCOMPARE(window.document()->settings().training.seed, std::uint64_t(18446744073709551615ull));

        // The objective: DPO enables β and label smoothing; a β of 0 is refused next to its field.
        QVERIFY(!field<QDoubleSpinBox>(panel, "beta")->isEnabled());
        field<QComboBox>(panel, "objective")->setCurrentIndex(
            field<QComboBox>(panel, "objective")->findData(QStringLiteral("dpo")));
        QCOMPARE(window.document()->settings().training.objective, std::string("dpo"));
        QVERIFY(field<QDoubleSpinBox>(panel, "beta")->isEnabled());
        QVERIFY(!field<QDoubleSpinBox>(panel, "orpoLambda")->isEnabled());
        field<QDoubleSpinBox>(panel, "beta")->setValue(0.0);
        QVERIFY(panel->errorFor(QStringLiteral("beta")).contains(QStringLiteral("training.beta")));
        field<QDoubleSpinBox>(panel, "beta")->setValue(0.25);
        QCOMPARE(window.document()->settings().training.beta, 0.25);
        QCOMPARE(panel->errorFor(QStringLiteral("beta")), QString());
    }

    void documentSavesAndReopens()
    {
        const QString path = m_dir.filePath(QStringLiteral("doc.lorafit"));
        {
            app::ProjectDocument document;
            QVERIFY(document.isUntitled());
            QVERIFY(!document.save().isEmpty()); // untitled: needs Save As
            engine::RunSettings settings = document.settings();
            settings.modelPath = m_model.toStdString();
            settings.dataset.trainPath = m_data.toStdString();
            settings.lora.rank = 12;
            settings.optimizer.loraPlusRatio = 4.0;
            document.setSettings(settings);
            QVERIFY(document.isDirty());
            QCOMPARE(document.saveAs(path), QString());
            QVERIFY(!document.isDirty());
            QCOMPARE(document.displayName(), QStringLiteral("doc.lorafit"));
            QVERIFY(document.runsFolder().endsWith(QStringLiteral("doc.runs")));
        }
        app::ProjectDocument reopened;
        QCOMPARE(reopened.open(path), QString());
        QCOMPARE(reopened.settings().lora.rank, 12);
        QCOMPARE(reopened.settings().optimizer.loraPlusRatio, 4.0);
        QCOMPARE(reopened.settings().modelPath, m_model.toStdString());
        QVERIFY(!reopened.isDirty());
        QVERIFY(app::ProjectDocument::recentProjects().contains(QFileInfo(path).absoluteFilePath()));
        QVERIFY(!reopened.open(m_dir.filePath(QStringLiteral("none.lorafit"))).isEmpty());
        QCOMPARE(reopened.filePath(), QFileInfo(path).absoluteFilePath()); // a failed open keeps the project
    }
};

QTEST_MAIN(TestPanels)
#include "test_panels.moc"

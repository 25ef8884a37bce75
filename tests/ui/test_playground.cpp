// The playground panel on tiny models (offscreen): base and adapter panes
// stream the same text an InferenceSession gives directly for the same
// prompt, options and seed; switching adapters keeps the base loaded; Stop
// ends a long generation early; the panel is a page of the main window.
#include "tests/ui/trainedproject.h"

#include "app/projectdocument.h"
#include "engine/generate/inferencesession.h"
#include "ui/mainwindow.h"
#include "ui/playground/playgroundpanel.h"
#include "ui/projectactions.h"
#include "ui/screenshot.h"

#include <QDir>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {

// Generates directly with the engine, as an independent reference.
QString referenceText(const QString &model, const QString &adapter, const engine::GenerationOptions &options,
                      const std::string &prompt)
{
    auto session = engine::InferenceSession::open(model.toStdString());
    if (!session)
        return QStringLiteral("open failed: ") + QString::fromStdString(session.message());
    if (!adapter.isEmpty() && !session.value()->setAdapter(adapter.toStdString()))
        return QStringLiteral("adapter failed");
    engine::GenerationPrompt p;
    p.text = prompt;
    const auto result = session.value()->generate(p, options);
    return result ? QString::fromStdString(result->text) : QString::fromStdString(result.message());
}

} // namespace

class TestPlayground : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        m_project = guitest::writeTrainedProject(m_dir.path());
    }

    void baseAndAdapterSideBySide()
    {
        app::ProjectDocument document;
        QCOMPARE(document.open(m_project.projectFile), QString());
        ui::PlaygroundPanel panel(&document);
        QCOMPARE(panel.adapterLabels().size(), 2);
        panel.setPrompt(QStringLiteral("The cat"));
        panel.setChatMode(false);
        panel.setMaxNewTokens(24);
        panel.setSeed(11);
        panel.setCompareWithBase(true);
        panel.setAdapterIndex(1); // the step-2 checkpoint
        panel.generate();
        QVERIFY(panel.isGenerating());
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isGenerating(), 60000);
        QVERIFY(panel.streamedPieces() >= 2);
        const engine::GenerationOptions options = panel.options();
        QCOMPARE(panel.output(ui::PlaygroundPanel::BasePane), referenceText(m_project.modelFolder, QString(), options, "The cat"));
        QCOMPARE(panel.output(ui::PlaygroundPanel::AdapterPane),
                 referenceText(m_project.modelFolder, m_project.checkpointAtStep.at(2), options, "The cat"));
        QVERIFY(!panel.lastStopReason(ui::PlaygroundPanel::AdapterPane).isEmpty());
        QVERIFY(panel.lastStopReason(ui::PlaygroundPanel::AdapterPane) != QLatin1String("cancelled"));

        panel.setAdapterIndex(2); // the step-4 checkpoint: no reload of the base
        panel.generate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isGenerating(), 60000);
        QCOMPARE(panel.output(ui::PlaygroundPanel::AdapterPane),
                 referenceText(m_project.modelFolder, m_project.checkpointAtStep.at(4), options, "The cat"));
        QCOMPARE(panel.baseLoads(), 1);
        if (const QString folder = qEnvironmentVariable("LORAFIT_SCREENSHOTS"); !folder.isEmpty()) {
            panel.resize(1200, 760);
            QCOMPARE(ui::saveScreenshot(&panel, QDir(folder).filePath(QStringLiteral("playground.png"))), QString());
        }
    }

    void stopEndsGenerationEarly()
    {
        app::ProjectDocument document;
        document.newProject();
        engine::RunSettings settings = document.settings();
        settings.modelPath = guitest::writeEndlessModel(QDir(m_dir.path()).filePath(QStringLiteral("endless"))).toStdString();
        document.setSettings(settings);
        ui::PlaygroundPanel panel(&document);
        panel.setPrompt(QStringLiteral("Once"));
        panel.setChatMode(false);
        panel.setMaxNewTokens(4000);
        int pieces = 0;
        connect(&panel, &ui::PlaygroundPanel::textStreamed, &panel, [&] {
            if (++pieces == 3)
                panel.stop();
        });
        panel.generate();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isGenerating(), 60000);
        QCOMPARE(panel.lastStopReason(ui::PlaygroundPanel::BasePane), QStringLiteral("cancelled"));
        QVERIFY(pieces >= 3);
        QVERIFY(panel.output(ui::PlaygroundPanel::BasePane).size() < 4000);
    }

    void isAPageOfTheMainWindow()
    {
        ui::MainWindow window;
        QVERIFY(window.playgroundPanel());
        QVERIFY(!window.playgroundPanel()->isVisibleTo(&window));
        window.showPage(ui::MainWindow::PlaygroundPage);
        QVERIFY(window.playgroundPanel()->isVisibleTo(&window));
        QVERIFY(window.projectActions()->openProject(m_project.projectFile));
        QCOMPARE(window.playgroundPanel()->adapterLabels().size(), 2);
    }

private:
    QTemporaryDir m_dir;
    guitest::TrainedProject m_project;
};

QTEST_MAIN(TestPlayground)
#include "test_playground.moc"

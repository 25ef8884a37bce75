// The export dialog on a tiny trained project (offscreen): it offers the
// checkpoint with the lowest eval loss, exports it as a PEFT adapter (and as a
// GGUF model with its Ollama Modelfile) on its worker thread, verifies it by
// loading it back and records the export in the project; Cancel stops an export and leaves no file behind; File →
// Export Adapter… and the Runs page open it from the main window.
#include "tests/ui/trainedproject.h"

#include "app/projectdocument.h"
#include "engine/project/projectstore.h"
#include "ui/export/exportdialog.h"
#include "ui/mainwindow.h"
#include "ui/panels/runspanel.h"
#include "ui/projectactions.h"
#include "ui/screenshot.h"

#include <QAction>
#include <QDir>
#include <QMenuBar>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

class TestExportDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        m_project = guitest::writeTrainedProject(m_dir.path());
    }

    void offersTheBestCheckpoint()
    {
        app::ProjectDocument document;
        QCOMPARE(document.open(m_project.projectFile), QString());
        ui::ExportDialog dialog(&document);
        QCOMPARE(dialog.checkpointCount(), 2);
        const auto best = std::min_element(m_project.evalLossAtStep.begin(), m_project.evalLossAtStep.end(),
                                           [](const auto &a, const auto &b) { return a.second < b.second; });
        QVERIFY(dialog.selectedCheckpoint());
        QCOMPARE(dialog.selectedCheckpoint()->step, best->first);
        QCOMPARE(QDir(dialog.selectedCheckpoint()->path).canonicalPath(),
                 QDir(m_project.checkpointAtStep.at(best->first)).canonicalPath());
    }

    void exportsAndVerifiesPeft()
    {
        app::ProjectDocument document;
        QCOMPARE(document.open(m_project.projectFile), QString());
        ui::ExportDialog dialog(&document);
        const QString out = QDir(m_dir.path()).filePath(QStringLiteral("export-peft"));
        dialog.setFormats({QStringLiteral("peft")});
        dialog.setDestination(out);
        dialog.setVerifyExamples(4);
        dialog.startExport();
        QVERIFY(dialog.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isRunning(), 120000);
        QVERIFY2(dialog.succeeded(), qPrintable(dialog.summaryText()));
        QVERIFY(dialog.summaryText().contains(QStringLiteral("matches")));
        QVERIFY(dialog.summaryText().contains(QStringLiteral("4 validation examples")));
        QVERIFY(QFileInfo::exists(QDir(out).filePath(QStringLiteral("adapter_model.safetensors"))));
        QVERIFY(QFileInfo::exists(QDir(out).filePath(QStringLiteral("adapter_config.json"))));
        const auto exports = document.store()->exports();
        QVERIFY(exports);
        QCOMPARE(exports->size(), size_t(1));
        QCOMPARE(exports->front().format, std::string("peft"));
        QCOMPARE(QDir(QString::fromStdString(exports->front().path)).canonicalPath(), QDir(out).canonicalPath());
        if (const QString folder = qEnvironmentVariable("LORAFIT_SCREENSHOTS"); !folder.isEmpty())
            QCOMPARE(ui::saveScreenshot(&dialog, QDir(folder).filePath(QStringLiteral("export.png"))), QString());
    }

    void exportsAGgufModelForOllama()
    {
        app::ProjectDocument document;
        QCOMPARE(document.open(m_project.projectFile), QString());
        ui::ExportDialog dialog(&document);
        const QString out = QDir(m_dir.path()).filePath(QStringLiteral("export-gguf-model"));
        dialog.setFormats({QStringLiteral("gguf-model")});
        dialog.setDestination(out);
        dialog.setVerifyExamples(4);
        dialog.startExport();
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isRunning(), 120000);
        QVERIFY2(dialog.succeeded(), qPrintable(dialog.summaryText()));
        QVERIFY2(dialog.summaryText().contains(QStringLiteral("loaded back by Lorafit, matches the checkpoint")),
                 qPrintable(dialog.summaryText()));
        QVERIFY2(dialog.summaryText().contains(QStringLiteral("Next: ollama create export-gguf-model -f ")),
                 qPrintable(dialog.summaryText()));
        QVERIFY(QFileInfo::exists(QDir(out).filePath(QStringLiteral("Modelfile"))));
    }

    void cancelLeavesNothing()
    {
        app::ProjectDocument document;
        QCOMPARE(document.open(m_project.projectFile), QString());
        ui::ExportDialog dialog(&document);
        const QString out = QDir(m_dir.path()).filePath(QStringLiteral("export-cancelled"));
        dialog.setFormats({QStringLiteral("peft"), QStringLiteral("merged")});
        dialog.setDestination(out);
        const size_t exportsBefore = document.store()->exports()->size();
        dialog.startExport();
        dialog.reject(); // the Cancel button while running
        QVERIFY(dialog.isRunning()); // Cancel stops the export; the dialog waits for it
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isRunning(), 60000);
        QVERIFY(!dialog.succeeded());
        QVERIFY2(dialog.summaryText().contains(QStringLiteral("cancelled")), qPrintable(dialog.summaryText()));
        QVERIFY(QDir(out).entryList(QDir::Files | QDir::NoDotAndDotDot, QDir::NoSort).isEmpty());
        QVERIFY(!QFileInfo::exists(QDir(out).filePath(QStringLiteral("peft/adapter_model.safetensors"))));
        QCOMPARE(document.store()->exports()->size(), exportsBefore);
    }

    void reachableFromTheMainWindow()
    {
        ui::MainWindow window;
        QVERIFY(window.projectActions()->openProject(m_project.projectFile));
        QAction *action = nullptr;
        for (QAction *candidate : window.menuBar()->actions().front()->menu()->actions())
            if (candidate->text().contains(QStringLiteral("Export Adapter")))
                action = candidate;
        QVERIFY(action);
        action->trigger();
        auto *dialog = window.findChild<ui::ExportDialog *>();
        QVERIFY(dialog);
        QCOMPARE(dialog->checkpointCount(), 2);
        dialog->close();
        QTRY_VERIFY(!window.findChild<ui::ExportDialog *>());

        const auto runs = window.document()->store()->runs().value();
        window.runsPanel()->selectRuns({runs.front().id});
        auto *button = window.runsPanel()->findChild<QPushButton *>(QStringLiteral("exportAdapter"));
        QVERIFY(button && button->isEnabled());
        button->click();
        QVERIFY(window.findChild<ui::ExportDialog *>());
    }

private:
    QTemporaryDir m_dir;
    guitest::TrainedProject m_project;
};

QTEST_MAIN(TestExportDialog)
#include "test_exportdialog.moc"

// The Runs page's Sweep… on a tiny model, as a person uses it: a bad value is
// named under the text and Start stays disabled; a 2-run grid trains one run
// after another with progress per run; the table and the Runs page's
// comparison plot then show both runs by eval loss with the best one marked.
// With LORAFIT_SCREENSHOTS=<folder> set, the dialog and the Runs page are
// rendered there (sweep-dialog-error.png, sweep-dialog.png, sweep-runs.png).
#include "tests/ui/guitestdata.h"

#include "app/projectdocument.h"
#include "app/sweepqueue.h"
#include "app/trainingsession.h"
#include "ui/mainwindow.h"
#include "ui/panels/datapanel.h"
#include "ui/panels/modelpanel.h"
#include "ui/panels/runspanel.h"
#include "ui/panels/sweepdialog.h"
#include "ui/projectactions.h"
#include "ui/screenshot.h"

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

namespace {

void screenshot(QWidget *widget, const char *name)
{
    const QString folder = qEnvironmentVariable("LORAFIT_SCREENSHOTS");
    if (folder.isEmpty())
        return;
    QTest::qWait(300); // let the capped redraws catch up
    const QString error = ui::saveScreenshot(widget, QDir(folder).filePath(QLatin1String(name) + QStringLiteral(".png")));
    if (!error.isEmpty())
        qWarning("%s", qPrintable(error));
}

} // namespace

class TestSweepDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void sweepFromTheRunsPage()
    {
        QTemporaryDir dir;
        const QString model = guitest::writeTinyModel(dir.filePath(QStringLiteral("tiny-gpt2")), 2);
        const QString data = guitest::writePromptCompletion(dir.filePath(QStringLiteral("animals.jsonl")), 48);
        ui::MainWindow window;
        window.resize(1360, 860);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.projectActions()->newProject();
        window.modelPanel()->setModelFolder(model);
        window.dataPanel()->setTrainFile(data);
        engine::RunSettings settings = window.document()->settings();
        settings.dataset.maxLength = 64;
        settings.dataset.validationFraction = 0.25;
        settings.lora.targetModules = { "attn.c_attn", "attn.c_proj", "mlp.c_fc" };
        settings.optimizer.learningRate = 1e-2;
        settings.training.maxSteps = 6;
        settings.training.batchSize = 2;
        settings.training.evalEvery = 2;
        settings.training.evalBatches = 2;
        settings.training.checkpointEvery = 0;
        settings.training.threads = 1;
        window.document()->setSettings(settings);
        QTRY_VERIFY_WITH_TIMEOUT(!window.dataPanel()->previewPending(), 20000);
        QCOMPARE(window.document()->saveAs(dir.filePath(QStringLiteral("sweep.lorafit"))), QString());
        window.showPage(ui::MainWindow::RunsPage);

        ui::RunsPanel *runs = window.runsPanel();
        auto *button = runs->findChild<QPushButton *>(QStringLiteral("sweepButton"));
        QVERIFY(button && button->isEnabled());
        button->click();
        auto *dialog = runs->findChild<ui::SweepDialog *>();
        QVERIFY(dialog && dialog->isVisible());

        dialog->editor()->setPlainText(QStringLiteral("optimizer.loraplus_ratio = 1, 16\noptimizer.learning_rate = 1e-2, x"));
        QVERIFY2(dialog->problems()->text().startsWith(QStringLiteral("Line 2: optimizer.learning_rate: item 2 'x'")),
            qPrintable(dialog->problems()->text()));
        QVERIFY(!dialog->startButton()->isEnabled());
        QCOMPARE(dialog->editor()->extraSelections().size(), 1);
        QCOMPARE(dialog->editor()->extraSelections().front().cursor.blockNumber(), 1);
        screenshot(dialog, "sweep-dialog-error");

        dialog->editor()->setPlainText(QStringLiteral("optimizer.loraplus_ratio = 1, 16"));
        QVERIFY2(dialog->problems()->text().startsWith(QStringLiteral("2 runs: λ=1 · λ=16")),
            qPrintable(dialog->problems()->text()));
        QVERIFY(dialog->startButton()->isEnabled());
        dialog->startButton()->click();
        app::SweepQueue *queue = runs->sweepQueue();
        QVERIFY(queue->isRunning());
        QCOMPARE(dialog->runTable()->rowCount(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(!queue->isRunning(), 240000);

        QCOMPARE(dialog->runTable()->item(0, 6)->text(), QStringLiteral("completed"));
        QCOMPARE(dialog->runTable()->item(1, 6)->text(), QStringLiteral("completed"));
        QVERIFY2(dialog->summary()->text().contains(QStringLiteral("Best: λ=")), qPrintable(dialog->summary()->text()));
        const std::optional<qint64> best = queue->bestRunId();
        QVERIFY(best);
        QCOMPARE(runs->selectedRuns(), queue->runIds());
        QCOMPARE(runs->overlayCurves(), 2);
        QCOMPARE(runs->findChild<QComboBox *>(QStringLiteral("overlayMetric"))->currentText(), QStringLiteral("eval_loss"));
        int marked = 0;
        for (int i = 0; i < runs->overlayCurves(); ++i)
            marked += runs->overlayCurveName(i).startsWith(QStringLiteral("★ best · %1 ").arg(*best));
        QCOMPARE(marked, 1);
        // The comparison is shown at the end.
        QCOMPARE(window.findChild<QListWidget *>(QStringLiteral("pageList"))->currentRow(), int(ui::MainWindow::RunsPage));
        screenshot(dialog, "sweep-dialog");
        screenshot(&window, "sweep-runs");
    }
};

QTEST_MAIN(TestSweepDialog)
#include "test_sweepdialog.moc"

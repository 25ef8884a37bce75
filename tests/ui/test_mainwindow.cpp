#include "ui/mainwindow.h"
#include "ui/screenshot.h"

#include <QLabel>
#include <QMenuBar>
#include <QPointer>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void opensAndClosesCleanly()
    {
        QPointer<ui::MainWindow> window = new ui::MainWindow;
        window->setAttribute(Qt::WA_DeleteOnClose);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window));
        QVERIFY2(window->windowTitle().contains(QStringLiteral("Untitled"))
                && window->windowTitle().endsWith(QStringLiteral("Lorafit")),
            qPrintable(window->windowTitle()));
        QVERIFY(window->findChild<QLabel *>(QStringLiteral("deviceLabel")));
        QVERIFY(window->close());
        QTRY_VERIFY(window.isNull());
    }

    void screenshotHelperReportsBadPath()
    {
        ui::MainWindow window;
        QTemporaryDir dir;
        QVERIFY(ui::saveScreenshot(&window, dir.filePath(QStringLiteral("ok.png"))).isEmpty());
        QVERIFY(!ui::saveScreenshot(&window, QStringLiteral("/proc/none/x.png")).isEmpty());
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_mainwindow.moc"

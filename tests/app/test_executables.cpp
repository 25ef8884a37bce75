// End-to-end checks of the two executables as a user runs them.
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run run(const QString &program, const QStringList &arguments, const QProcessEnvironment &env = {})
{
    QProcess process;
    if (!env.isEmpty())
        process.setProcessEnvironment(env);
    process.start(program, arguments);
    if (!process.waitForFinished(120000)) {
        process.kill();
        return {};
    }
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2,
            QString::fromUtf8(process.readAllStandardOutput()), QString::fromUtf8(process.readAllStandardError())};
}

} // namespace

class TestExecutables : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void versionIsPrinted_data()
    {
        QTest::addColumn<QString>("program");
        QTest::addColumn<QString>("name");
        QTest::newRow("gui") << QStringLiteral(LF_GUI_EXE) << QStringLiteral("lorafit");
        QTest::newRow("cli") << QStringLiteral(LF_CLI_EXE) << QStringLiteral("lorafit-cli");
    }

    void versionIsPrinted()
    {
        QFETCH(QString, program);
        QFETCH(QString, name);
        const Run r = run(program, {QStringLiteral("--version")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith(name + QLatin1Char(' ') + QStringLiteral(LORAFIT_VERSION) + QLatin1Char(' ')),
                 qPrintable(r.out));
    }

    void cliRejectsUnknownCommand()
    {
        const Run r = run(QStringLiteral(LF_CLI_EXE), {QStringLiteral("no-such-command")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QLatin1String("unknown command 'no-such-command'")), qPrintable(r.err));
    }

    void cliListsDevices()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LORAFIT_THREADS"), QStringLiteral("3"));
        const Run r = run(QStringLiteral(LF_CLI_EXE), {QStringLiteral("devices")}, env);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QLatin1String("intra-op threads: 3")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QLatin1String("cpu")), qPrintable(r.out));
    }

    void screenshotWritesAPngOfTheWindow()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString png = dir.filePath(QStringLiteral("shots/main.png"));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
        const Run r = run(QStringLiteral(LF_GUI_EXE), {QStringLiteral("--screenshot"), png}, env);
        QCOMPARE(r.exitCode, 0);
        QImage image(png);
        QVERIFY2(!image.isNull(), "the screenshot is not a readable PNG");
        QCOMPARE(image.size(), QSize(1280, 800));
        // A real rendering is not one flat colour.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7)
            for (int x = 0; x < image.width(); x += 7)
                colours.insert(image.pixel(x, y));
        QVERIFY2(colours.size() > 3, "the screenshot looks blank");
    }

    void screenshotToUnwritablePathFailsClearly()
    {
        const Run r = run(QStringLiteral(LF_GUI_EXE), {QStringLiteral("--screenshot"), QStringLiteral("/proc/none/x.png")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QLatin1String("/proc/none")), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestExecutables)
#include "test_executables.moc"

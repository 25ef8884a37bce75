// End-to-end checks of the two executables as a user runs them.
#include "tests/processrun.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

using Run = test::ProcessRun;

Run run(const QString &program, const QStringList &arguments, const QProcessEnvironment &env = {})
{
    return test::runProcess(program, arguments, 120000, env);
}

// The environment of a first start: settings and app data in `dir`, so the
// user's own recent projects and demo project are neither read nor written.
QProcessEnvironment firstStart(const QTemporaryDir &dir)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("LORAFIT_DEMO_DIR"), QStringLiteral(LF_SOURCE_DIR "/resources/demo"));
    return env;
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

    // Every command answers an unknown option like every other usage error: exit 2, one line, a hint.
    void cliRejectsUnknownOptions_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("command");
        for (const char *command : {"bench", "data", "devices", "eval", "export", "generate", "inspect", "pretrain",
                                    "sweep", "tokenize", "train"})
            QTest::newRow(command) << QStringList{QString::fromLatin1(command), QStringLiteral("--x")}
                                   << QString::fromLatin1(command);
        QTest::newRow("data inspect") << QStringList{QStringLiteral("data"), QStringLiteral("inspect"), QStringLiteral("-q")}
                                      << QStringLiteral("data");
        QTest::newRow("project show") << QStringList{QStringLiteral("project"), QStringLiteral("show"), QStringLiteral("--x")}
                                      << QStringLiteral("project show");
    }

    void cliRejectsUnknownOptions()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, command);
        const Run r = run(QStringLiteral(LF_CLI_EXE), arguments);
        QCOMPARE(r.exitCode, 2);
        const QString option = arguments.last();
        QCOMPARE(r.err, QStringLiteral("lorafit-cli: error: unknown option '%1' (hint: 'lorafit-cli %2 --help')\n")
                            .arg(option, command));
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
        const Run r = run(QStringLiteral(LF_GUI_EXE), {QStringLiteral("--screenshot"), png}, firstStart(dir));
        QCOMPARE(r.exitCode, 0);
        // The first start opened the demo project, made from demo.json in the app's data folder.
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("data/Lorafit/lorafit/demo/Demo.lorafit"))));
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
        QTemporaryDir dir;
        const Run r = run(QStringLiteral(LF_GUI_EXE), {QStringLiteral("--screenshot"), QStringLiteral("/proc/none/x.png")},
                          firstStart(dir));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QLatin1String("/proc/none")), qPrintable(r.err));
    }

    // The README's demo, headless, for a few steps: the run is recorded in the
    // demo project and the dashboard's plots are written as real images.
    void demoTrainsHeadlessAndWritesThePlots()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString folder = dir.filePath(QStringLiteral("demo"));
        const Run r = run(QStringLiteral(LF_GUI_EXE),
                          {QStringLiteral("--demo-headless"), folder, QStringLiteral("--max-steps"), QStringLiteral("3")},
                          firstStart(dir));
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains(QLatin1String("step 0/3: validation loss")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QLatin1String("step 3/3: loss")), qPrintable(r.out));
        for (const char *name : {"loss.png", "learning-rate.png", "gradient-norm.png", "delta-norms.png",
                                 "delta-heatmap.png", "training.png"}) {
            const QImage image(QDir(folder).filePath(QLatin1String(name)));
            QVERIFY2(!image.isNull() && image.width() >= 900, name);
        }
        const Run shown = run(QStringLiteral(LF_CLI_EXE),
                              {QStringLiteral("project"), QStringLiteral("show"), QDir(folder).filePath(QStringLiteral("Demo.lorafit"))});
        QCOMPARE(shown.exitCode, 0);
        QVERIFY2(shown.out.contains(QLatin1String("finished")), qPrintable(shown.out));

        const Run bad = run(QStringLiteral(LF_GUI_EXE),
                            {QStringLiteral("--demo-headless"), folder, QStringLiteral("--max-steps"), QStringLiteral("x")},
                            firstStart(dir));
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains(QLatin1String("--max-steps")), qPrintable(bad.err));
    }
};

QTEST_GUILESS_MAIN(TestExecutables)
#include "test_executables.moc"

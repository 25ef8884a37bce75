// `lorafit-cli project create|show|export-settings|import-settings` end to end:
// the exit codes, what is printed, and that bad settings files are refused
// with the field named and the project left unchanged.
#include "engine/project/projectstore.h"
#include "projecttesthelpers.h"
#include "tests/processrun.h"

#include <QProcess>
#include <QTemporaryDir>

namespace {

using Run = test::ProcessRun;

Run cli(const QStringList &arguments)
{
    return test::runProcess(QStringLiteral(LF_CLI_EXE), QStringList { QStringLiteral("project") } + arguments, 60000);
}

void writeText(const QString &path, const QByteArray &text)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}

} // namespace

class TestProjectCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void createAndShow()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("p.lorafit"));
        QCOMPARE(cli({ QStringLiteral("create"), path }).exitCode, 0);
        const Run again = cli({ QStringLiteral("create"), path });
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.err.contains(QLatin1String("already exists")), qPrintable(again.err));
        {
            auto store = engine::ProjectStore::open(path.toStdString());
            LF_VERIFY_OK(store);
            engine::RunSpec spec;
            spec.name = "baseline";
            spec.device = "cpu";
            const std::int64_t done = store->createRun(spec).value();
            LF_VERIFY_OK(store->appendMetrics(done, { { 41, { { "loss", 1.0 } }, {} } }));
            LF_VERIFY_OK(store->finishRun(done, engine::RunStatus::Finished, "{\"loss\": 0.25}"));
            spec.name = "crashed";
            store->createRun(spec).value(); // left "running": its process is gone when show runs
        }
        const Run shown = cli({ QStringLiteral("show"), path });
        QCOMPARE(shown.exitCode, 0);
        QVERIFY2(shown.out.contains(QLatin1String("runs: 2")), qPrintable(shown.out));
        QVERIFY2(shown.out.contains(QLatin1String("#1  baseline  [finished]  last step 41")), qPrintable(shown.out));
        QVERIFY2(shown.out.contains(QLatin1String("final: loss=0.25")), qPrintable(shown.out));
        QVERIFY2(shown.out.contains(QLatin1String("#2  crashed  [interrupted]")), qPrintable(shown.out));
    }

    void settingsRoundTrip()
    {
        QTemporaryDir dir;
        const QString in = dir.filePath(QStringLiteral("in.json"));
        const QString project = dir.filePath(QStringLiteral("new.lorafit"));
        writeText(in,
            "{\"lorafit_settings\": 1, \"sections\": {\"lora\": {\"version\": 1, \"values\": {\"r\": 8}},"
            " \"model\": {\"version\": 1, \"values\": {\"path\": \"models/tiny\"}}}}");
        const Run imported = cli({ QStringLiteral("import-settings"), project, in }); // creates the project
        QCOMPARE(imported.exitCode, 0);
        const QString out = dir.filePath(QStringLiteral("out.json"));
        QCOMPARE(cli({ QStringLiteral("export-settings"), project, QStringLiteral("-o"), out }).exitCode, 0);
        const QByteArray exported = fileBytes(out);
        QVERIFY2(exported.contains("\"r\": 8"), exported.constData());
        QVERIFY2(exported.contains(dir.filePath(QStringLiteral("models/tiny")).toUtf8()), exported.constData());
        QCOMPARE(cli({ QStringLiteral("export-settings"), project }).out.trimmed().toUtf8(), exported.trimmed());

        writeText(in,
            "{\"lorafit_settings\": 1, \"sections\": {\"lora\": {\"version\": 1, \"values\": {\"r\": 4}},"
            " \"training\": {\"version\": \"1\", \"values\": {}}}}");
        const QByteArray before = fileBytes(project);
        const Run bad = cli({ QStringLiteral("import-settings"), project, in });
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains(QLatin1String("field 'sections.training.version' must be an integer")),
            qPrintable(bad.err));
        QCOMPARE(fileBytes(project), before);
    }

    void usageErrors()
    {
        QCOMPARE(cli({ QStringLiteral("frobnicate") }).exitCode, 2);
        const Run missing = cli({ QStringLiteral("show"), QStringLiteral("/no/such/p.lorafit") });
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains(QLatin1String("does not exist")), qPrintable(missing.err));
    }
};

QTEST_GUILESS_MAIN(TestProjectCli)
#include "test_projectcli.moc"

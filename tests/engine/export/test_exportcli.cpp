// `lorafit-cli export` end to end on a tiny checkpoint: every format with
// --verify (the written files loaded back give the checkpoint's loss), the
// files listed with sizes, and the exit code and message of bad invocations.
#include "engine/core/atomicfile.h"
#include "engine/project/projectstore.h"
#include "exporttesthelpers.h"
#include "tests/processrun.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

// QCOMPARE cannot take nlohmann::json (its implicit conversions confuse Qt's overloads).
#define JSON_COMPARE(actual, expected)                                                                            \
    QVERIFY2((actual) == (expected), qPrintable(QString::fromStdString((actual).dump() + " != " + (expected).dump())))

namespace {

using Run = test::ProcessRun;

Run cli(const QStringList &arguments)
{
    return test::runProcess(QStringLiteral(LF_CLI_EXE), QStringList{QStringLiteral("export")} + arguments, 120000);
}

} // namespace

class TestExportCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void exportsEveryFormatAndVerifies()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "llama");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4, "alpha": 8})");
        const Run run = cli({checkpoint, "--format", "peft,gguf", "--format", "merged", "--out", dir.filePath("out"),
                             "--verify"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        for (const char *expected : {"out/peft/adapter_model.safetensors", "out/peft/README.md",
                                     "out/merged/model.safetensors", "out/gguf/base-F32-LoRA.gguf"}) {
            QVERIFY2(QFile::exists(dir.filePath(expected)), expected);
            QVERIFY2(run.out.contains(dir.filePath(expected)), qPrintable(run.out));
        }
        QCOMPARE(run.out.count(QStringLiteral(": ok")), qsizetype(3)); // one verify line per format
        QVERIFY2(run.err.contains("[100%]"), qPrintable(run.err));

        // The same destination again: refused before any work, unless --overwrite.
        const Run again = cli({checkpoint, "--format", "peft", "--out", dir.filePath("out/peft")});
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.err.contains("is not empty"), qPrintable(again.err));
        QCOMPARE(cli({checkpoint, "--format", "peft", "--dtype", "f16", "--out", dir.filePath("out/peft"), "--overwrite",
                      "--verify"}).exitCode, 0);
    }

    void ggufModelForOllama()
    {
        QTemporaryDir dir;
        const QString base = exporttest::writeByteLevelBase(dir.filePath("base"), "qwen2");
        const QString checkpoint = exporttest::writeCheckpoint(dir.path(), base, R"({"rank": 4})");
        const Run run = cli({checkpoint, "--format", "gguf-model,gguf", "--base-only", "--dtype", "q8_0", "--out",
                             dir.filePath("out"), "--verify"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err + run.out));
        for (const char *expected : {"out/gguf-model/base-Q8_0.gguf", "out/gguf-model/Modelfile", "out/gguf/base-Q8_0-LoRA.gguf"})
            QVERIFY2(run.out.contains(dir.filePath(expected)), qPrintable(run.out));
        QCOMPARE(run.out.count(QStringLiteral(": ok")), qsizetype(2)); // the model (base alone) and the adapter
        QVERIFY2(run.out.contains("Next: ollama create gguf-model -f " + dir.filePath("out/gguf-model/Modelfile")),
                 qPrintable(run.out));
        QVERIFY2(run.err.contains("q8_0"), qPrintable(run.err)); // the q8_0 warning
    }

    void exportsTheBestCheckpointOfAProjectRun()
    {
        QTemporaryDir dir;
        const QString base = dir.filePath("base");
        exporttest::writeBase(base, "gpt2");
        const QString early = exporttest::writeCheckpoint(dir.filePath("run"), base, R"({"rank": 4})", 10);
        const QString best = exporttest::writeCheckpoint(dir.filePath("run"), base, R"({"rank": 2})", 20);
        const QString last = exporttest::writeCheckpoint(dir.filePath("run"), base, R"({"rank": 8})", 30);
        const std::string project = dir.filePath("p.lorafit").toStdString();
        std::int64_t runId = 0;
        {
            auto store = engine::ProjectStore::create(project);
            QVERIFY2(store.isOk(), store.message().c_str());
            runId = store->createRun({"r", "cpu", "{}", {}, ""}).value();
            const std::vector<std::pair<int, double>> evals = {{10, 2.0}, {20, 1.5}, {25, 1.0}, {30, 1.8}};
            for (const auto &[step, loss] : evals)
                QVERIFY(store->addEvalResult(runId, {step, "eval", loss, "{}", 0}).isOk());
            for (const QString &folder : {early, best, last})
                QVERIFY(store->addCheckpoint(runId, {folder.section('-', -1).toLongLong(), folder.toStdString(), 0, "", 0}).isOk());
        }
        const Run run = cli({"--project", QString::fromStdString(project), "--run", QString::number(runId), "--format",
                             "peft", "--out", dir.filePath("out")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        // Step 25 has the lowest eval loss but no checkpoint: step 20 (rank 2) is the best one.
        const auto json = nlohmann::json::parse(engine::readFile(dir.filePath("out/adapter_config.json").toStdString()));
        JSON_COMPARE(json["r"], nlohmann::json(2));
        auto store = engine::ProjectStore::open(project, engine::OpenMode::ReadOnly);
        const auto exports = store->exports();
        QCOMPARE(exports->size(), std::size_t(1));
        QCOMPARE(exports->front().format, std::string("peft"));
        QCOMPARE(*exports->front().runId, runId);
    }

    void badInvocations()
    {
        QTemporaryDir dir;
        const Run noFormat = cli({dir.path(), "--out", dir.filePath("o")});
        QCOMPARE(noFormat.exitCode, 1);
        QVERIFY2(noFormat.err.contains("--format and --out are required"), qPrintable(noFormat.err));
        const Run badDtype = cli({dir.path(), "--format", "gguf", "--dtype", "q4", "--out", dir.filePath("o")});
        QCOMPARE(badDtype.exitCode, 1);
        QVERIFY2(badDtype.err.contains("unknown tensor type 'q4'"), qPrintable(badDtype.err));
        const Run notAdapter = cli({dir.path(), "--format", "peft", "--out", dir.filePath("o")});
        QCOMPARE(notAdapter.exitCode, 1);
        QVERIFY2(notAdapter.err.contains("has no adapter_config.json"), qPrintable(notAdapter.err));
        QVERIFY(!QDir(dir.filePath("o")).exists());
    }
};

QTEST_GUILESS_MAIN(TestExportCli)
#include "test_exportcli.moc"

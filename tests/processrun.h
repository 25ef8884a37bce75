// Running an executable under test (lorafit-cli, the GUI with --version, ...)
// and keeping what it printed, for every test that drives one: one place for
// the time limit, the kill and the crash check.
#pragma once

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace test {

struct ProcessRun
{
    int exitCode = -1; // −1: it did not finish within the limit (and was killed); −2: it crashed
    QByteArray bytes;  // standard output as written
    QString out;       // the same, decoded as UTF-8
    QString err;       // standard error, UTF-8
};

// Runs program with arguments (and env, when not empty) and waits up to timeoutMs.
inline ProcessRun runProcess(const QString &program, const QStringList &arguments, int timeoutMs = 240000,
    const QProcessEnvironment &env = {})
{
    QProcess process;
    if (!env.isEmpty())
        process.setProcessEnvironment(env);
    process.start(program, arguments);
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        return {};
    }
    ProcessRun run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
    run.bytes = process.readAllStandardOutput();
    run.out = QString::fromUtf8(run.bytes);
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

} // namespace test

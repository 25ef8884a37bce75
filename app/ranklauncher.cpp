#include "app/ranklauncher.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>

#ifdef _WIN32
#include <winsock2.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif
#ifdef __linux__
#include <csignal>
#include <sys/prctl.h>
#endif

namespace app {

RankLauncher::~RankLauncher()
{
    finish(0);
}

engine::Status RankLauncher::start(const QString &program, const QStringList &arguments,
    const engine::DistributedConfig &self, int processes, const QString &logFolder)
{
    if (!QDir().mkpath(logFolder))
        return engine::Status::failure("cannot create the run folder '" + logFolder.toStdString()
            + "' for the ranks' logs (hint: check its permissions and free space)");
    for (int local = 1; local < processes; ++local) {
        Rank rank;
        rank.rank = self.rank + local;
        rank.log = QDir(logFolder).filePath(QStringLiteral("rank-%1.log").arg(rank.rank));
        rank.process = std::make_unique<QProcess>();
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("MASTER_ADDR"), QString::fromStdString(self.masterAddress));
        environment.insert(QStringLiteral("MASTER_PORT"), QString::number(self.masterPort));
        environment.insert(QStringLiteral("RANK"), QString::number(rank.rank));
        environment.insert(QStringLiteral("WORLD_SIZE"), QString::number(self.worldSize));
        environment.insert(QStringLiteral("LOCAL_RANK"), QString::number(self.localRank + local));
        rank.process->setProcessEnvironment(environment);
        rank.process->setStandardOutputFile(QProcess::nullDevice());
        rank.process->setStandardErrorFile(rank.log, QIODevice::Truncate);
#ifdef __linux__
        rank.process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
#endif
        rank.process->start(program, arguments);
        if (!rank.process->waitForStarted(30000))
            return engine::Status::failure("cannot start rank " + std::to_string(rank.rank) + " ('"
                + program.toStdString() + "'): " + rank.process->errorString().toStdString()
                + " (hint: check that lorafit-cli can run from its folder)");
        m_ranks.push_back(std::move(rank));
    }
    return engine::Status::success();
}

QString RankLauncher::describe(const Rank &rank) const
{
    const QProcess &process = *rank.process;
    QString how = process.exitStatus() == QProcess::CrashExit
        ? QStringLiteral("was killed or crashed")
        : QStringLiteral("exited with code %1").arg(process.exitCode());
    const QString words = lastLines(rank.log, 3);
    return QStringLiteral("rank %1 %2%3 (its log: %4)")
        .arg(rank.rank)
        .arg(how, words.isEmpty() ? QString() : QStringLiteral("; its last words: ") + words, rank.log);
}

QString RankLauncher::failure()
{
    if (!m_failure.isEmpty())
        return m_failure;
    QCoreApplication::processEvents(); // lets QProcess notice ended children
    for (const Rank &rank : m_ranks) {
        if (rank.process->state() != QProcess::NotRunning)
            continue;
        if (rank.process->exitStatus() == QProcess::NormalExit && rank.process->exitCode() == 0)
            continue;
        m_failure = describe(rank);
        return m_failure;
    }
    return {};
}

void RankLauncher::finish(int milliseconds)
{
    QElapsedTimer timer;
    timer.start();
    for (Rank &rank : m_ranks) {
        const int left = std::max<int>(0, milliseconds - static_cast<int>(timer.elapsed()));
        if (rank.process->state() != QProcess::NotRunning && !rank.process->waitForFinished(left)) {
            rank.process->kill();
            rank.process->waitForFinished(5000);
        }
    }
}

QString siblingCliPath()
{
#ifdef _WIN32
    const QString name = QStringLiteral("lorafit-cli.exe");
#else
    const QString name = QStringLiteral("lorafit-cli");
#endif
    const QString chosen = qEnvironmentVariable("LORAFIT_CLI");
    if (!chosen.isEmpty())
        return QFileInfo(chosen).isExecutable() ? QFileInfo(chosen).absoluteFilePath() : QString();
    const QDir here(QCoreApplication::applicationDirPath());
    for (const QString &candidate : { here.filePath(name), here.filePath(QStringLiteral("../cli/") + name) })
        if (QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).absoluteFilePath();
    return {};
}

int freeLocalPort()
{
#ifdef _WIN32
    WSADATA data;
    WSAStartup(MAKEWORD(2, 2), &data);
    using Socket = SOCKET;
    const Socket invalid = INVALID_SOCKET;
    auto closeSocket = [](Socket s) { closesocket(s); };
    using Length = int;
#else
    using Socket = int;
    const Socket invalid = -1;
    auto closeSocket = [](Socket s) { ::close(s); };
    using Length = socklen_t;
#endif
    const Socket s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s == invalid)
        return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0; // the system picks a free one
    Length length = sizeof address;
    int port = 0;
    if (::bind(s, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0
        && ::getsockname(s, reinterpret_cast<sockaddr *>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    closeSocket(s);
    return port;
}

QString lastLines(const QString &path, int lines)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    if (file.size() > 16384)
        file.seek(file.size() - 16384);
    QStringList kept;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QString text = QString::fromUtf8(line).trimmed();
        if (!text.isEmpty())
            kept.append(text);
    }
    return kept.mid(std::max<qsizetype>(0, kept.size() - lines)).join(QStringLiteral(" | "));
}

} // namespace app

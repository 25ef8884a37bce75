// RankLauncher: starts and watches the other processes of a data-parallel run
// on this machine. The calling process is the machine's first rank; the
// launcher starts `lorafit-cli train` for the others with torchrun's
// variables (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK), sends
// each one's standard error to <log folder>/rank-<r>.log, and tells which one
// died and its last words. Processes it started die with it (Linux) and are
// ended when it is destroyed. Qt Core; use it from one thread.
#pragma once

#include "engine/core/status.h"
#include "engine/dist/distributedconfig.h"

#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace app {

class RankLauncher
{
public:
    RankLauncher() = default;
    ~RankLauncher();
    RankLauncher(const RankLauncher &) = delete;
    RankLauncher &operator=(const RankLauncher &) = delete;

    // Starts local ranks 1 … processes−1 (global ranks self.rank + 1 …) as
    // `program arguments`, logging to logFolder (created if needed).
    engine::Status start(const QString &program, const QStringList &arguments, const engine::DistributedConfig &self,
        int processes, const QString &logFolder);
    // The first started rank that ended before finish(), as one readable
    // line with its exit and last words; empty while all run.
    QString failure();
    // Waits up to `milliseconds` for every rank to end, then ends the rest.
    void finish(int milliseconds);
    int started() const { return static_cast<int>(m_ranks.size()); }

private:
    struct Rank
    {
        int rank = 0;
        QString log;
        std::unique_ptr<QProcess> process;
    };
    QString describe(const Rank &rank) const;

    std::vector<Rank> m_ranks;
    QString m_failure;
};

// lorafit-cli: $LORAFIT_CLI if set, else beside the running executable
// (installed: the same folder; build tree: ../cli); empty if none is found.
QString siblingCliPath();

// A TCP port on this machine that nothing listens on now (for --nproc's own rendezvous).
int freeLocalPort();

// Last `lines` non-empty lines of a text file, joined by " | " (last words of a log).
QString lastLines(const QString &path, int lines);

} // namespace app

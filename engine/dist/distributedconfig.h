// DistributedConfig: where one process stands in a data-parallel run — its
// rank, how many ranks there are, and where they meet (the rank-0 address and
// port of c10d's TCPStore). Read from the command line or from the variables
// torchrun, Slurm scripts and Kubernetes set (MASTER_ADDR, MASTER_PORT, RANK,
// WORLD_SIZE, LOCAL_RANK). A world size of 1 is the ordinary one-process run.
// Qt-free and Torch-free header; the collectives are in rankgroup.h.
#pragma once

#include "engine/core/status.h"

#include <optional>
#include <string>

namespace engine {

struct DistributedConfig
{
    int rank = 0;                            // this process, 0 … worldSize−1; rank 0 records the run
    int worldSize = 1;                       // processes training the run together
    int localRank = 0;                       // rank on this machine: picks the GPU (cuda:<localRank>)
    std::string masterAddress = "127.0.0.1"; // where rank 0 listens (host name or address)
    int masterPort = 29500;                  // TCP port of the rendezvous store on rank 0
    int timeoutSeconds = 120;                // to meet all ranks; collectives wait at least 5 min

    bool enabled() const { return worldSize > 1; }
    bool isLeader() const { return rank == 0; }
    // Ranges and the address; the message names the field and ends with a hint.
    Status validate() const;
};

// The torchrun variables of this process: nullopt when neither RANK nor
// WORLD_SIZE is set; a failure naming the variable when one is set badly.
Result<std::optional<DistributedConfig>> distributedFromEnvironment();

// "HOST:PORT" (also "[v6]:PORT") → address and port of `config`; the message names `field`.
Status parseMasterEndpoint(const std::string &text, const std::string &field, DistributedConfig &config);

} // namespace engine

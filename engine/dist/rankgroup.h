// Internal (Torch): the ranks of a data-parallel run as one c10d group.
// Joining meets every rank through rank 0's TCPStore, refuses ranks whose
// world size or settings differ, then builds a ProcessGroupGloo (CPU
// collectives; CUDA tensors are staged through the host, since only the
// adapter's gradients — megabytes — cross). After that every collective is
// one call here: the gradient sum of a step, sums of a few numbers, and the
// agreement on stop/pause. A collective that fails because another rank is
// gone throws PeerLost. Not thread-safe: the training thread alone uses it.
#pragma once

#include "engine/core/status.h"
#include "engine/dist/distributedconfig.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace engine {

// A collective failed: another rank of the run died or stopped answering.
class PeerLost : public Error
{
public:
    using Error::Error;
};

// Stop and pause as all ranks see them: set when any rank asked.
struct ControlFlags
{
    bool stop = false;
    bool pause = false;
};

class RankGroup
{
public:
    // Meets the other ranks within config.timeoutSeconds. settingsHash must
    // agree on every rank (the run's settings, paths and devices aside).
    // `cancelled` is polled while waiting. Throws engine::Error with a hint.
    RankGroup(const DistributedConfig &config, std::uint64_t settingsHash, const std::function<bool()> &cancelled);
    ~RankGroup();
    RankGroup(const RankGroup &) = delete;
    RankGroup &operator=(const RankGroup &) = delete;

    int rank() const { return m_config.rank; }
    int size() const { return m_config.worldSize; }
    bool isLeader() const { return m_config.isLeader(); }

    // Rank 0's `value` on every rank (rank 0 passes it, the others receive it).
    std::string shareFromLeader(const std::string &key, const std::string &value);

    // Sums every parameter's gradient over the ranks in place (a missing
    // gradient counts as zeros and is created), together with `extras`, in
    // one all-reduce of one flat buffer; returns the summed extras.
    std::vector<double> sumGradients(const std::vector<torch::Tensor> &parameters, const std::vector<double> &extras);
    // The sums over ranks of a few numbers (f64).
    std::vector<double> sum(const std::vector<double> &values);
    ControlFlags agree(ControlFlags local);

private:
    void run(std::vector<torch::Tensor> &tensors, bool maximum, const char *what);

    struct Impl;
    DistributedConfig m_config;
    std::unique_ptr<Impl> m_impl;
};


} // namespace engine

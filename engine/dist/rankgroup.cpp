#include "engine/dist/rankgroup.h"

#ifdef LORAFIT_HAVE_GLOO // set by engine/CMakeLists.txt when gloo's headers are there

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#ifdef _WIN32
#include <process.h>
#define LF_GETPID _getpid
#else
#include <unistd.h>
#define LF_GETPID getpid
#endif

namespace engine {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMinimumCollectiveSeconds = 300; // a slow step, an evaluation or a checkpoint on rank 0 fits

// c10d's message without the C++ backtrace LibTorch appends.
std::string reason(const std::exception &error)
{
    if (const auto *c10 = dynamic_cast<const c10::Error *>(&error))
        return c10->what_without_backtrace();
    return error.what();
}

std::string endpoint(const DistributedConfig &config)
{
    return config.masterAddress + ":" + std::to_string(config.masterPort);
}

bool isLoopback(const std::string &address)
{
    return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

std::string rankKey(int rank)
{
    return "lorafit/rank/" + std::to_string(rank);
}

std::string toText(const std::vector<std::uint8_t> &bytes)
{
    return std::string(bytes.begin(), bytes.end());
}

// What each rank says of itself at the rendezvous: "<world size> <settings hash> <pid>".
struct Introduction
{
    int worldSize = 0;
    std::uint64_t settingsHash = 0;
    long pid = 0;
};

std::string introduce(const DistributedConfig &config, std::uint64_t settingsHash)
{
    return std::to_string(config.worldSize) + " " + std::to_string(settingsHash) + " "
        + std::to_string(static_cast<long>(LF_GETPID()));
}

Introduction parseIntroduction(const std::string &text)
{
    Introduction introduction;
    std::istringstream in(text);
    in >> introduction.worldSize >> introduction.settingsHash >> introduction.pid;
    return introduction;
}

} // namespace

struct RankGroup::Impl
{
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

namespace {

c10::intrusive_ptr<c10d::Store> connectStore(const DistributedConfig &config)
{
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(config.masterPort);
    options.isServer = config.isLeader();
    options.numWorkers = static_cast<std::size_t>(config.worldSize);
    options.waitWorkers = false; // the rendezvous below waits, with clearer errors
    options.timeout = std::chrono::seconds(config.timeoutSeconds);
    try {
        return c10::make_intrusive<c10d::TCPStore>(config.masterAddress, options);
    } catch (const std::exception &error) {
        if (config.isLeader())
            throw Error("rank 0 cannot listen on " + endpoint(config) + ": " + reason(error)
                + " (hint: the port may be in use by another run; choose another with --master or MASTER_PORT, or "
                  "let --nproc pick a free one)");
        throw Error("rank " + std::to_string(config.rank) + " cannot reach rank 0 at " + endpoint(config) + " within "
            + std::to_string(config.timeoutSeconds) + " s: " + reason(error)
            + " (hint: start rank 0 too, check MASTER_ADDR and MASTER_PORT and that no firewall blocks the port)");
    }
}

// Waits until every rank has introduced itself; refuses disagreements at once.
void meet(c10d::Store &store, const DistributedConfig &config, std::uint64_t settingsHash,
    const std::function<bool()> &cancelled)
{
    const std::string me = std::to_string(config.rank);
    if (store.check({ rankKey(config.rank) }))
        throw Error("two processes claim rank " + me + " (hint: give each process its own RANK, 0 … WORLD_SIZE−1)");
    const std::string introduction = introduce(config, settingsHash);
    store.set(rankKey(config.rank), std::vector<std::uint8_t>(introduction.begin(), introduction.end()));
    store.add("lorafit/joined", 1);
    const auto deadline = Clock::now() + std::chrono::seconds(config.timeoutSeconds);
    std::vector<bool> seen(static_cast<std::size_t>(config.worldSize), false);
    int present = 0;
    while (true) {
        for (int rank = 0; rank < config.worldSize; ++rank) {
            if (seen[rank] || !store.check({ rankKey(rank) }))
                continue;
            const Introduction other = parseIntroduction(toText(store.get(rankKey(rank))));
            if (other.worldSize != config.worldSize)
                throw Error("rank " + std::to_string(rank) + " says WORLD_SIZE is " + std::to_string(other.worldSize)
                    + " but rank " + me + " says " + std::to_string(config.worldSize)
                    + " (hint: start every process with the same WORLD_SIZE, or --nnodes × processes per machine)");
            if (other.settingsHash != settingsHash)
                throw Error("rank " + std::to_string(rank) + " has other settings than rank " + me
                    + " (hint: every process must train the same settings and data; start them from the same "
                      "CONFIG or project and the same --set options)");
            seen[rank] = true;
            ++present;
        }
        const std::int64_t joined = store.add("lorafit/joined", 0);
        if (joined > config.worldSize)
            throw Error(std::to_string(joined) + " processes joined a run of WORLD_SIZE " + std::to_string(config.worldSize)
                + " (hint: two runs may share MASTER_ADDR:MASTER_PORT; give each run its own port)");
        if (present == config.worldSize)
            return;
        if (cancelled && cancelled())
            throw Error("cancelled while waiting for the other ranks");
        if (Clock::now() > deadline) {
            std::string missing;
            for (int rank = 0; rank < config.worldSize; ++rank)
                if (!seen[rank])
                    missing += (missing.empty() ? "" : ", ") + std::to_string(rank);
            throw Error("only " + std::to_string(present) + " of " + std::to_string(config.worldSize)
                + " ranks met at " + endpoint(config) + " within " + std::to_string(config.timeoutSeconds)
                + " s; missing rank(s) " + missing
                + " (hint: start every rank with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE, or raise "
                  "--dist-timeout)");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

std::shared_ptr<::gloo::transport::Device> glooDevice(const DistributedConfig &config)
{
    if (const char *interface = std::getenv("GLOO_SOCKET_IFNAME"))
        return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
    if (isLoopback(config.masterAddress))
        return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
}

} // namespace

RankGroup::RankGroup(const DistributedConfig &config, std::uint64_t settingsHash, const std::function<bool()> &cancelled)
    : m_config(config)
    , m_impl(std::make_unique<Impl>())
{
    const Status valid = config.validate();
    if (!valid)
        throw Error(valid.message());
    m_impl->store = connectStore(config);
    try {
        meet(*m_impl->store, config, settingsHash, cancelled);
        const auto timeout = std::chrono::seconds(std::max(config.timeoutSeconds, kMinimumCollectiveSeconds));
        m_impl->store->setTimeout(timeout);
        auto options = c10d::ProcessGroupGloo::Options::create(timeout);
        options->devices.push_back(glooDevice(config));
        options->threads = 1;
        const auto prefixed = c10::make_intrusive<c10d::PrefixStore>("gloo", m_impl->store);
        m_impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, config.rank, config.worldSize, options);
    } catch (const Error &) {
        throw;
    } catch (const std::exception &error) {
        throw Error("rank " + std::to_string(config.rank) + " lost the other ranks while meeting them at "
            + endpoint(config) + ": " + reason(error) + " (hint: another rank may have stopped; see its message)");
    }
}

RankGroup::~RankGroup() = default;

std::string RankGroup::shareFromLeader(const std::string &key, const std::string &value)
{
    const std::string name = "lorafit/shared/" + key;
    try {
        if (isLeader()) {
            m_impl->store->set(name, std::vector<std::uint8_t>(value.begin(), value.end()));
            return value;
        }
        return toText(m_impl->store->get(name));
    } catch (const std::exception &error) {
        throw PeerLost("rank " + std::to_string(rank()) + " could not share '" + key + "' with rank 0: "
            + reason(error) + " (hint: another rank may have stopped; see its message)");
    }
}

void RankGroup::run(std::vector<torch::Tensor> &tensors, bool maximum, const char *what)
{
    c10d::AllreduceOptions options;
    options.reduceOp = maximum ? c10d::ReduceOp::MAX : c10d::ReduceOp::SUM;
    try {
        m_impl->group->allreduce(tensors, options)->wait();
    } catch (const std::exception &error) {
        throw PeerLost("rank " + std::to_string(rank()) + " lost another rank while summing " + what + ": "
            + reason(error) + " (hint: a process of the run died or stopped answering; its own message says why)");
    }
}

std::vector<double> RankGroup::sumGradients(const std::vector<torch::Tensor> &parameters, const std::vector<double> &extras)
{
    std::vector<torch::Tensor> pieces;
    pieces.reserve(parameters.size() + 1);
    for (const torch::Tensor &parameter : parameters) {
        torch::Tensor grad = parameter.mutable_grad();
        if (!grad.defined()) {
            grad = torch::zeros_like(parameter);
            parameter.mutable_grad() = grad;
        }
        pieces.push_back(grad.reshape({ -1 }).to(torch::kCPU, torch::kFloat));
    }
    pieces.push_back(torch::tensor(std::vector<float>(extras.begin(), extras.end()), torch::kFloat));
    std::vector<torch::Tensor> flat{ torch::cat(pieces) }; // (P + E) f32 on the host
    run(flat, false, "the gradients");
    std::int64_t offset = 0;
    for (const torch::Tensor &parameter : parameters) {
        torch::Tensor grad = parameter.mutable_grad();
        const std::int64_t n = grad.numel();
        grad.copy_(flat[0].narrow(0, offset, n).view(grad.sizes()));
        offset += n;
    }
    std::vector<double> summed(extras.size());
    for (std::size_t i = 0; i < extras.size(); ++i)
        summed[i] = flat[0][offset + static_cast<std::int64_t>(i)].item<float>();
    return summed;
}

std::vector<double> RankGroup::sum(const std::vector<double> &values)
{
    std::vector<torch::Tensor> tensors{ torch::tensor(values, torch::kFloat64) };
    run(tensors, false, "a figure");
    const torch::Tensor summed = tensors[0].contiguous();
    return std::vector<double>(summed.data_ptr<double>(), summed.data_ptr<double>() + summed.numel());
}

ControlFlags RankGroup::agree(ControlFlags local)
{
    std::vector<torch::Tensor> tensors{ torch::tensor({ local.stop ? 1 : 0, local.pause ? 1 : 0 }, torch::kInt32) };
    run(tensors, true, "stop and pause");
    ControlFlags agreed;
    agreed.stop = tensors[0][0].item<int>() != 0;
    agreed.pause = tensors[0][1].item<int>() != 0;
    return agreed;
}

} // namespace engine

#else // a LibTorch without c10d Gloo headers: one process only

namespace engine {

struct RankGroup::Impl
{ };

RankGroup::RankGroup(const DistributedConfig &config, std::uint64_t, const std::function<bool()> &)
    : m_config(config)
{
    throw Error("this build of Lorafit cannot train in " + std::to_string(config.worldSize)
        + " processes: it was built without c10d's Gloo headers (hint: install libgloo-dev (Debian, Ubuntu) and "
          "build again, or train in one process)");
}

RankGroup::~RankGroup() = default;

std::string RankGroup::shareFromLeader(const std::string &, const std::string &value)
{
    return value;
}

std::vector<double> RankGroup::sumGradients(const std::vector<torch::Tensor> &, const std::vector<double> &extras)
{
    return extras;
}

std::vector<double> RankGroup::sum(const std::vector<double> &values)
{
    return values;
}

ControlFlags RankGroup::agree(ControlFlags local)
{
    return local;
}

} // namespace engine

#endif

#include "engine/dist/distributedconfig.h"

#include <cerrno>
#include <cstdlib>

namespace engine {

namespace {

// The integer in `text`, or nullopt when it is not one whole number.
std::optional<long> wholeNumber(const std::string &text)
{
    if (text.empty())
        return std::nullopt;
    char *end = nullptr;
    errno = 0;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0')
        return std::nullopt;
    return value;
}

std::optional<std::string> variable(const char *name)
{
    const char *value = std::getenv(name);
    if (!value)
        return std::nullopt;
    return std::string(value);
}

} // namespace

Status DistributedConfig::validate() const
{
    if (worldSize < 1)
        return Status::failure("WORLD_SIZE is " + std::to_string(worldSize)
            + " (hint: the number of processes of the run, 1 or more)");
    if (rank < 0 || rank >= worldSize)
        return Status::failure("RANK is " + std::to_string(rank) + " but WORLD_SIZE is " + std::to_string(worldSize)
            + " (hint: ranks are numbered 0 … WORLD_SIZE−1, one per process)");
    if (localRank < 0)
        return Status::failure("LOCAL_RANK is " + std::to_string(localRank) + " (hint: 0 or more)");
    if (masterAddress.empty())
        return Status::failure("MASTER_ADDR is empty (hint: the host name or address of the machine running rank 0)");
    if (masterPort < 1 || masterPort > 65535)
        return Status::failure("MASTER_PORT is " + std::to_string(masterPort)
            + " (hint: a free TCP port on the machine of rank 0, 1 … 65535, e.g. 29500)");
    if (timeoutSeconds < 1)
        return Status::failure("the rendezvous timeout is " + std::to_string(timeoutSeconds)
            + " s (hint: 1 s or more; the default is 120 s)");
    return Status::success();
}

Status parseMasterEndpoint(const std::string &text, const std::string &field, DistributedConfig &config)
{
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        return Status::failure(field + " '" + text + "': expected HOST:PORT (hint: e.g. 10.0.0.1:29500)");
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    const std::optional<long> port = wholeNumber(text.substr(colon + 1));
    if (!port || *port < 1 || *port > 65535)
        return Status::failure(field + " '" + text + "': the port is not a number from 1 to 65535 (hint: e.g. "
            + host + ":29500)");
    config.masterAddress = host;
    config.masterPort = static_cast<int>(*port);
    return Status::success();
}

Result<std::optional<DistributedConfig>> distributedFromEnvironment()
{
    const std::optional<std::string> rank = variable("RANK"), world = variable("WORLD_SIZE");
    if (!rank && !world)
        return std::optional<DistributedConfig>();
    DistributedConfig config;
    struct Field
    {
        const char *name;
        int *value;
        bool required;
    };
    const Field fields[] = { { "RANK", &config.rank, true }, { "WORLD_SIZE", &config.worldSize, true },
        { "LOCAL_RANK", &config.localRank, false }, { "MASTER_PORT", &config.masterPort, false } };
    for (const Field &field : fields) {
        const std::optional<std::string> text = variable(field.name);
        if (!text) {
            if (field.required)
                return Status::failure(std::string(field.name) + " is not set but "
                    + (rank ? "RANK" : "WORLD_SIZE") + " is (hint: set RANK and WORLD_SIZE together, as torchrun does)");
            continue;
        }
        const std::optional<long> value = wholeNumber(*text);
        if (!value)
            return Status::failure(std::string(field.name) + " is '" + *text + "', not a whole number (hint: e.g. "
                + field.name + "=0)");
        *field.value = static_cast<int>(*value);
    }
    if (!variable("LOCAL_RANK"))
        config.localRank = config.rank;
    if (const std::optional<std::string> address = variable("MASTER_ADDR"))
        config.masterAddress = *address;
    const Status valid = config.validate();
    if (!valid)
        return valid;
    return std::optional<DistributedConfig>(config);
}

} // namespace engine

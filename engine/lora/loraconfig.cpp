#include "engine/lora/loraconfig.h"

#include "engine/core/jsonreader.h"

#include <cmath>
#include <regex>

namespace engine {

namespace {

// PEFT's get_pattern_key: key k matches module m if re.match(r"(.*\.)?(k)$", m).
template <typename T>
const T *patternValue(const std::map<std::string, T> &patterns, const std::string &moduleName)
{
    for (const auto &[key, value] : patterns)
        if (std::regex_match(moduleName, std::regex("(.*\\.)?(" + key + ")")))
            return &value;
    return nullptr;
}

std::string checkRegex(const std::string &pattern, const std::string &field)
{
    try {
        std::regex compiled(pattern);
    } catch (const std::regex_error &e) {
        return field + ": invalid regular expression '" + pattern + "': " + e.what();
    }
    return {};
}

} // namespace

const char *loraInitName(LoraInit init)
{
    switch (init) {
    case LoraInit::Kaiming: return "kaiming";
    case LoraInit::Gaussian: return "gaussian";
    case LoraInit::Reversed: return "reversed";
    case LoraInit::Pissa: return "pissa";
    }
    return "kaiming";
}

const char *targetModeName(TargetMode mode)
{
    switch (mode) {
    case TargetMode::Suffixes: return "suffixes";
    case TargetMode::Regex: return "regex";
    case TargetMode::AllLinear: return "all-linear";
    }
    return "suffixes";
}

Status LoraConfig::validate() const
{
    if (rank < 1 || rank > 4096)
        return Status::failure("lora.rank: " + std::to_string(rank) + " is out of range (hint: use 1 to 4096; 8–64 is typical)");
    if (!(alpha > 0.0) || !std::isfinite(alpha))
        return Status::failure("lora.alpha: must be a positive number (hint: alpha = 2 × rank is a common choice)");
    if (!(dropout >= 0.0 && dropout < 1.0))
        return Status::failure("lora.dropout: must be in [0, 1) (hint: 0.0–0.1 is typical)");
    if (targetMode == TargetMode::Regex) {
        if (targetRegex.empty())
            return Status::failure("lora.target_regex: empty (hint: e.g. '.*\\.(q_proj|v_proj)')");
        if (auto error = checkRegex(targetRegex, "lora.target_regex"); !error.empty())
            return Status::failure(error);
    }
    if (dora && init == LoraInit::Pissa)
        return Status::failure("lora: DoRA and PiSSA initialisation cannot be combined (hint: pick one)");
    for (int layer : layersToTransform)
        if (layer < 0)
            return Status::failure("lora.layers_to_transform: layer " + std::to_string(layer) + " is negative");
    for (const auto &[key, r] : rankPattern) {
        if (r < 1 || r > 4096)
            return Status::failure("lora.rank_pattern['" + key + "']: rank " + std::to_string(r) + " is out of range");
        if (auto error = checkRegex(key, "lora.rank_pattern"); !error.empty())
            return Status::failure(error);
    }
    for (const auto &[key, a] : alphaPattern) {
        if (!(a > 0.0))
            return Status::failure("lora.alpha_pattern['" + key + "']: alpha must be positive");
        if (auto error = checkRegex(key, "lora.alpha_pattern"); !error.empty())
            return Status::failure(error);
    }
    return Status::success();
}

int LoraConfig::rankFor(const std::string &moduleName) const
{
    const int *r = patternValue(rankPattern, moduleName);
    return r ? *r : rank;
}

double LoraConfig::alphaFor(const std::string &moduleName) const
{
    const double *a = patternValue(alphaPattern, moduleName);
    return a ? *a : alpha;
}

double LoraConfig::scalingFor(const std::string &moduleName) const
{
    const double r = rankFor(moduleName);
    return alphaFor(moduleName) / (rsLora ? std::sqrt(r) : r);
}

std::string LoraConfig::toJson() const
{
    nlohmann::json j = {
        {"rank", rank},
        {"alpha", alpha},
        {"rslora", rsLora},
        {"dropout", dropout},
        {"init", loraInitName(init)},
        {"dora", dora},
        {"target_mode", targetModeName(targetMode)},
        {"target_modules", targetModules},
        {"target_regex", targetRegex},
        {"layers_to_transform", layersToTransform},
        {"rank_pattern", rankPattern},
        {"alpha_pattern", alphaPattern},
    };
    return j.dump(2);
}

Result<LoraConfig> LoraConfig::fromJson(const std::string &json, const std::string &source)
{
    return guard([&] {
        const nlohmann::json parsed = parseJsonObject(json, source);
        JsonReader in(parsed, source);
        LoraConfig c;
        in.read("rank", c.rank);
        in.read("alpha", c.alpha);
        in.read("rslora", c.rsLora);
        in.read("dropout", c.dropout);
        in.readEnum("init", c.init,
                    {{"kaiming", LoraInit::Kaiming}, {"gaussian", LoraInit::Gaussian},
                     {"reversed", LoraInit::Reversed}, {"pissa", LoraInit::Pissa}});
        in.read("dora", c.dora);
        in.readEnum("target_mode", c.targetMode,
                    {{"suffixes", TargetMode::Suffixes}, {"regex", TargetMode::Regex},
                     {"all-linear", TargetMode::AllLinear}});
        in.read("target_modules", c.targetModules);
        in.read("target_regex", c.targetRegex);
        in.read("layers_to_transform", c.layersToTransform);
        in.read("rank_pattern", c.rankPattern);
        in.read("alpha_pattern", c.alphaPattern);
        in.rejectUnknownKeys();
        if (Status s = c.validate(); !s)
            throw Error(source + ": " + s.message());
        return c;
    });
}

} // namespace engine

// Settings of a LoRA adapter: rank, scaling, initialisation, variants (rsLoRA,
// DoRA, PiSSA) and which modules it adapts. Plain aggregate with defaults;
// validate() checks it; JSON round trip for project files and run configs.
// Torch-free.
#pragma once

#include "engine/core/status.h"

#include <map>
#include <string>
#include <vector>

namespace engine {

enum class LoraInit {
    Kaiming,  // A ~ kaiming-uniform(a=√5), B = 0 (PEFT default, "Init[1]")
    Gaussian, // A ~ N(0, 1/r²), B = 0
    Reversed, // B ~ kaiming-uniform(a=√5), A = 0 (the official LoRA+ code, "Init[2]")
    Pissa,    // A, B from the top-r SVD of W; the residual stays frozen in the base
};

enum class TargetMode {
    Suffixes,  // a module matches if its name equals an entry or ends with "." + entry
    Regex,     // the whole module name matches targetRegex (ECMAScript)
    AllLinear, // every projection except the output head
};

struct LoraConfig
{
    int rank = 8;                      // r: inner dimension of B·A
    double alpha = 16.0;               // lora_alpha: scaling = alpha / r (alpha / √r with rsLoRA)
    bool rsLora = false;               // rank-stabilised scaling alpha / √r
    double dropout = 0.05;             // dropout probability on the adapter input while training
    LoraInit init = LoraInit::Kaiming; // initialisation of A and B
    bool dora = false;                 // weight-decomposed LoRA: trainable per-output magnitude
    TargetMode targetMode = TargetMode::Suffixes;
    std::vector<std::string> targetModules; // Suffixes mode; empty = the model family's default
    std::string targetRegex;           // Regex mode
    std::vector<int> layersToTransform; // only these layer indices; empty = all layers
    std::map<std::string, int> rankPattern;     // PEFT rank_pattern: {regex key: rank}
    std::map<std::string, double> alphaPattern; // PEFT alpha_pattern: {regex key: alpha}

    Status validate() const;
    // Rank and alpha for one module after rank/alpha patterns.
    int rankFor(const std::string &moduleName) const;
    double alphaFor(const std::string &moduleName) const;
    // Output scaling for one module: alpha/r or alpha/√r.
    double scalingFor(const std::string &moduleName) const;

    std::string toJson() const;
    // `source` names the file or section in messages.
    static Result<LoraConfig> fromJson(const std::string &json, const std::string &source = "lora settings");
};

const char *loraInitName(LoraInit init);
const char *targetModeName(TargetMode mode);

} // namespace engine

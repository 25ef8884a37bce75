// Test helper (Torch): tiny random models of every supported architecture,
// written as Hugging Face folders (config.json + safetensors) with Lorafit's
// own writer, and the python reference runner.
#pragma once

#include <QString>

#include <string>
#include <utility>
#include <vector>

namespace tiny {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// config.json text of a tiny model: `modelType` defaults plus `extraJson`
// (a JSON object whose keys override the defaults).
std::string configJson(const std::string &modelType, const std::string &extraJson = "{}");

// Random weights with the Hugging Face names the config implies, seeded.
NamedTensors randomWeights(const std::string &configText, std::uint64_t seed = 1);

// Writes config.json and model.safetensors (tensors cast to `dtype`) into dir.
void writeModel(const QString &dir, const std::string &configText, const NamedTensors &weights,
    torch::ScalarType dtype = torch::kFloat32);

// Runs tests/reference/ref_causal_lm.py on dir with ids; returns the logits,
// or an undefined tensor and sets `skipReason` when /usr/bin/python3 with
// torch is not available. Throws std::runtime_error if the script fails.
torch::Tensor referenceLogits(const QString &dir, const torch::Tensor &ids, QString &skipReason);

// Random token ids (B, T) below `vocab`.
torch::Tensor randomIds(std::int64_t batch, std::int64_t length, std::int64_t vocab, std::uint64_t seed = 7);

} // namespace tiny

// Test helper (Torch): a complete tiny training setup in a folder — a tiny
// random model of the given architecture with a byte-level BPE tokenizer
// (256 byte tokens, no merges, <|endoftext|> as eos) and a small JSONL
// dataset of prompt/completion pairs — plus RunSettings for it.
#pragma once

#include "engine/train/runsettings.h"

#include <QString>

namespace trainfixture {

// Writes model/ (config.json, model.safetensors, tokenizer.json,
// tokenizer_config.json) and train.jsonl (`records` pairs) into `dir`.
// nanByte >= 0 makes that byte's embedding row NaN (a damaged model).
void write(const QString &dir, const std::string &modelType = "llama", int records = 16, int nanByte = -1);

// Settings for the fixture in `dir`: LoRA+ (λ = 4), rank 4 on all linear
// projections, lr 1e-2 constant, batch 4, max length 48, `steps` steps, no
// validation split unless `validationFraction` > 0.
engine::RunSettings settings(const QString &dir, std::int64_t steps, double validationFraction = 0.0);

// Writes `settings` as a settings document to `dir`/config.json; returns its path.
QString writeDocument(const QString &dir, const engine::RunSettings &settings);

// The vocabulary size of the fixture's model (bytes + eos, rounded up).
constexpr int kVocab = 264;

} // namespace trainfixture

// Test helper (Torch): a tiny base model folder with tokenizer files, and a
// trainer-style checkpoint folder (PEFT files + trainer_state.json with the
// settings document) holding random adapters, written with Lorafit's own
// writers. Also token batches for loss checks.
#pragma once

#include "engine/data/batch.h"
#include "engine/lora/loramodel.h"
#include "tests/engine/tensorcompare.h"

#include <QString>

#include <string>

namespace exporttest {

// Writes a tiny `type` model into `dir` with tokenizer.json, tokenizer_config.json
// (eos and, if `chatTemplate`, a chat template) and generation_config.json.
void writeBase(const QString &dir, const std::string &type, bool chatTemplate = true,
               const std::string &extraConfig = "{}");

// A tiny `type` model with the tokenizer files (tokenizer.json, tokenizer_config.json)
// of `tokenizerFolder` and `vocab` embedding rows; what a GGUF model export needs.
// Default: the demo model's byte-level BPE tokenizer (4096 tokens, ChatML template).
QString writeByteLevelBase(const QString &dir, const std::string &type, const std::string &extraConfig = "{}",
                           const QString &tokenizerFolder = {}, std::int64_t vocab = 4096);

// The demo model folder (resources/demo/model).
QString demoModel();

// Injects `loraJson` (LoraConfig JSON) into the model in `baseDir`, randomises
// the adapters (seeded) and writes checkpoint-<step> into `dir` the way the
// trainer does. Returns the checkpoint folder.
QString writeCheckpoint(const QString &dir, const QString &baseDir, const std::string &loraJson, int step = 40,
                        const std::string &datasetShape = "text");

// Sets every adapter tensor to small seeded noise (DoRA magnitudes: their value plus noise).
void randomizeAdapters(const engine::LoraModel &lora, std::uint64_t seed = 11);

// Two rows of random tokens with labels = ids (first label masked).
std::vector<engine::data::Batch> batches(std::int64_t vocab, std::uint64_t seed = 3);

// Reference loss written out independently of the engine's verifier: log-softmax
// by hand in f64, averaged over counted labels.
double referenceLoss(const torch::Tensor &logits, const engine::data::Batch &batch);

// (B, T) int64 ids of a batch.
torch::Tensor ids(const engine::data::Batch &batch);

using test::relativeError; // tests/engine/tensorcompare.h

} // namespace exporttest

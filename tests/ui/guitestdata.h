// Test helper (Torch): a tiny GPT-2 model folder with a byte-level tokenizer
// that covers every byte (256 byte tokens, no merges, <|endoftext|> = 256),
// and small JSONL datasets written by the test itself.
#pragma once

#include <QString>

namespace guitest {

// Writes config.json, model.safetensors, tokenizer.json and
// tokenizer_config.json into `dir` (created); returns `dir`.
QString writeTinyModel(const QString &dir, int layers = 2);

// Writes `records` prompt/completion lines ({"prompt": "...", "completion": "..."}) to `path`.
QString writePromptCompletion(const QString &path, int records);

} // namespace guitest

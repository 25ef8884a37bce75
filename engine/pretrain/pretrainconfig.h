// PretrainConfig: what `lorafit-cli pretrain` does, as plain fields with
// defaults: the corpus, the tokenizer size, the Llama architecture of the
// fresh model, the length of training (steps or minutes), the optimizer and
// the validation split. Validation only; the work is in pretrainer.h.
// Qt-free and Torch-free.
#pragma once

#include "engine/core/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

struct PretrainConfig
{
    std::vector<std::string> corpusPaths; // .txt (a paragraph is a document) / .jsonl {"text"} files or folders
    std::string outDir; // the Hugging Face folder to write (must not exist unless overwrite)
    bool overwrite = false; // replace an existing outDir

    std::size_t vocabSize = 4096; // tokenizer ids: 3 special + 256 bytes + merges
    std::int64_t layers = 4; // decoder blocks
    std::int64_t hidden = 256; // model width
    std::int64_t heads = 4; // attention heads (hidden must divide by it)
    std::int64_t kvHeads = 0; // key/value heads (GQA); 0 = heads
    std::int64_t intermediate = 0; // MLP width; 0 = 8/3 · hidden rounded up to a multiple of 32
    std::int64_t context = 256; // tokens per training sequence (= max_position_embeddings)

    std::int64_t steps = 0; // optimizer steps; 0 with minutes = 0 means 1000
    double minutes = 0.0; // wall-time budget instead of steps (> 0 wins over steps)
    int batchSize = 16; // sequences per step
    double learningRate = 1e-3; // peak AdamW rate after warmup
    double minLearningRateRatio = 0.1; // cosine floor as a fraction of the peak
    std::int64_t warmupSteps = -1; // linear warmup; -1 = 5% of the (estimated) steps, at most 200
    double weightDecay = 0.1; // decoupled decay on matrices and embeddings (not norms)
    double maxGradNorm = 1.0; // global gradient clipping; 0 disables
    std::uint64_t seed = 42; // initialisation, split and order
    double validationFraction = 0.02; // share of documents held out, (0, 0.5]
    bool halfPrecision = true; // write float16 weights (the reported validation loss is of the saved weights)

    // Checks ranges; the message names the option.
    Status validate() const;
    // intermediate, or its default for `hidden`.
    std::int64_t mlpWidth() const;
    // kvHeads, or heads when 0.
    std::int64_t keyValueHeads() const;
};

} // namespace engine

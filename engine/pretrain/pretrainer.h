// Pretraining a small Llama-architecture model from scratch, the engine side
// of `lorafit-cli pretrain`: read the corpus, train a byte-level BPE
// tokenizer on its training part, initialise the model like transformers does
// (normal(0, 0.02) matrices and embeddings, unit norms, tied lm_head), train
// every parameter with AdamW and warmup + cosine decay on windows of the token
// stream, measure the validation loss of the weights as saved, and write a
// complete Hugging Face folder (via a temporary folder renamed at the end).
// Not for fine-tuning an existing model (that is the LoRA trainer). Torch-free.
#pragma once

#include "engine/core/status.h"
#include "engine/pretrain/pretrainconfig.h"

#include <cstdint>
#include <functional>
#include <string>

namespace engine {

struct PretrainProgress
{
    enum class Phase { Reading, Tokenizer, Tokenizing, Training, Evaluating, Writing };
    Phase phase = Phase::Reading;
    std::string message; // what happens now, for phases other than Training
    std::int64_t step = 0; // optimizer steps done
    std::int64_t totalSteps = 0; // planned (an estimate when training for a time budget)
    double loss = 0.0; // training loss of the last step
    double learningRate = 0.0; // rate used by the last step
    double tokensPerSecond = 0.0; // training tokens processed per second so far
    double elapsedSeconds = 0.0; // since training started
    double etaSeconds = 0.0; // until training ends (estimate)
};

// Called on the calling thread, once per phase change and once per step;
// return false to stop. Stopping during training still evaluates and writes
// the model trained so far; stopping before that writes nothing.
using PretrainCallback = std::function<bool(const PretrainProgress &)>;

struct PretrainSummary
{
    std::string outDir; // the folder written ("" if cancelled before training)
    bool stoppedEarly = false; // the callback stopped the run
    std::int64_t parameters = 0; // trainable parameters (tied embedding counted once)
    std::int64_t vocabSize = 0; // ids of the tokenizer = rows of the embedding
    std::int64_t trainDocuments = 0;
    std::int64_t validationDocuments = 0;
    std::int64_t trainTokens = 0; // tokens of the training stream
    std::int64_t validationTokens = 0;
    std::int64_t steps = 0; // optimizer steps done
    std::int64_t tokensSeen = 0; // training tokens processed (steps × batch × context)
    double tokenizerSeconds = 0.0; // reading + tokenizer training + tokenizing
    double trainSeconds = 0.0; // the training loop
    double totalSeconds = 0.0; // everything, writing included
    double tokensPerSecond = 0.0; // tokensSeen / trainSeconds
    double firstLoss = 0.0; // training loss of step 1
    double finalLoss = 0.0; // mean training loss of the last 10% of steps (at least the last step)
    double initialValidationLoss = 0.0; // of the freshly initialised model
    double validationLoss = 0.0; // of the saved weights (mean per predicted token, nats)
    double validationPerplexity = 0.0; // exp(validationLoss)
};

// Runs the whole pretraining. Fails (with a message naming the file, option
// or folder and a hint) for bad settings, unreadable corpora or an existing
// output folder without config.overwrite; never leaves a half-written folder.
Result<PretrainSummary> pretrain(const PretrainConfig &config, const PretrainCallback &callback = {});

// The ChatML chat_template written to tokenizer_config.json.
const std::string &chatMlTemplate();

} // namespace engine

// The public face of inference for the GUI playground and lorafit-cli: open a
// model folder once (weights, tokenizer, chat template), switch LoRA adapters
// without reloading the base, generate text with streaming and cancellation,
// and evaluate a text's per-token loss and perplexity. Pimpl: no Torch here.
// Thread rule: one call at a time (a second concurrent call fails with a
// "busy" error instead of racing); calls may come from any one worker thread,
// and the cancel flag may be set from any thread.
#pragma once

#include "engine/core/status.h"
#include "engine/data/sample.h"
#include "engine/generate/generationoptions.h"
#include "engine/generate/generationresult.h"
#include "engine/generate/textevaluation.h"
#include "engine/tokenizer/tokenizer.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace engine {

// A raw prompt or a conversation.
struct GenerationPrompt
{
    std::string text; // raw prompt, used when `messages` is empty; encoded as is (special-token strings count)
    std::vector<data::Message> messages; // chat: rendered with the model's chat template plus the assistant header
};

// What the session loaded; fixed after open() except the adapter.
struct InferenceSessionInfo
{
    std::string modelFolder;
    std::string modelType; // config.json model_type, e.g. "llama"
    std::string device; // "cpu", "cuda:0", ...
    std::int64_t contextLength = 0; // tokens (max_position_embeddings / n_positions)
    std::int64_t vocabSize = 0; // rows of the model's embedding
    std::string chatTemplate; // the built-in template used for chat prompts, e.g. "chatml"
    bool chatTemplateRecognised = false; // false: the model has no (known) template and ChatML is the fallback
    std::string chatTemplateWarning; // why the template is a fallback or approximate; empty when exact
    std::string adapterFolder; // the PEFT adapter in use; empty: the base model alone
};

class InferenceSession
{
public:
    ~InferenceSession();
    InferenceSession(const InferenceSession &) = delete;
    InferenceSession &operator=(const InferenceSession &) = delete;

    // Loads config.json + safetensors, the tokenizer and the chat template of
    // `modelFolder` onto `device` ("cpu", "cuda" or "cuda:N"). Fails with a
    // message naming the file or device at fault.
    static Result<std::unique_ptr<InferenceSession>> open(const std::string &modelFolder,
                                                          const std::string &device = "cpu");

    const InferenceSessionInfo &info() const;
    // The model's tokenizer; valid as long as the session.
    const Tokenizer &tokenizer() const;

    // Puts the PEFT adapter folder (adapter_config.json + adapter_model.safetensors)
    // on the base model, replacing the current adapter; the base weights are not
    // reloaded. On failure the session runs the base model alone.
    Status setAdapter(const std::string &peftFolder);
    // Back to the base model alone.
    Status clearAdapter();

    // The exact text the model sees for `prompt` (chat template applied), without BOS.
    Result<std::string> renderPrompt(const GenerationPrompt &prompt) const;
    // The token ids of `prompt`: rendered text, with BOS first when the tokenizer adds one.
    Result<std::vector<TokenId>> promptIds(const GenerationPrompt &prompt) const;

    // Generates a continuation. `onText` (may be empty) receives text pieces
    // as they become final, on the calling thread; `cancel` (may be null) is
    // checked before every token, and setting it ends generation with
    // StopReason::Cancelled (a result, not an error).
    Result<GenerationResult> generate(const GenerationPrompt &prompt, const GenerationOptions &options,
                                      const TextCallback &onText = {}, const std::atomic<bool> *cancel = nullptr);

    // Per-token losses of `text` (BOS first when the tokenizer adds one), in
    // windows of `windowLength` tokens (0: the model's context, at most
    // kDefaultEvalWindow). `cancel` is checked between windows; a cancelled
    // evaluation returns the finished windows with `cancelled` set.
    Result<TextEvaluation> evaluate(const std::string &text, std::int64_t windowLength = 0,
                                    const std::atomic<bool> *cancel = nullptr);

    static constexpr std::int64_t kDefaultEvalWindow = 2048; // tokens per window when the context is longer

private:
    struct Impl;
    explicit InferenceSession(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace engine

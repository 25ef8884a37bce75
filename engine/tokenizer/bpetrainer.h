// Trains a GPT-2-style byte-level BPE tokenizer on text and writes it as a
// Hugging Face tokenizer.json (ByteLevel pre-tokenizer, post-processor and
// decoder, special tokens as added tokens). Words come from the same GPT-2
// pre-tokenizer the loader uses; merges are learned by pair frequency (ties:
// the pair of lower ids) until the vocabulary reaches its target size or no
// pair occurs minFrequency times. Does not read files. Qt-free, Torch-free.
#pragma once

#include "engine/core/status.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace engine {

struct BpeTrainerOptions
{
    std::size_t vocabSize = 8192; // total ids: special tokens + 256 byte tokens + merges
    std::int64_t minFrequency = 2; // a pair seen fewer times (weighted by word counts) is never merged
    std::vector<std::string> specialTokens = { "<|endoftext|>", "<|im_start|>", "<|im_end|>" }; // ids 0, 1, ...

    // Checks that the vocabulary can hold the special and byte tokens; the message names the field.
    Status validate() const;
};

// The result: tokens in id order and merges in rank order.
struct TrainedBpe
{
    std::vector<std::string> vocab; // id -> token (byte-level characters; special tokens first)
    std::vector<std::pair<std::string, std::string>> merges; // rank order
    std::vector<std::string> specialTokens; // the first specialTokens.size() ids

    // The tokenizer.json text (compact JSON, vocab in id order).
    std::string toTokenizerJson() const;
};

// Reports merges learned so far and the target; return false to cancel.
using BpeProgress = std::function<bool(std::size_t merges, std::size_t target)>;

class BpeTrainer
{
public:
    // Throws engine::Error if the options are invalid.
    explicit BpeTrainer(BpeTrainerOptions options);
    ~BpeTrainer();
    BpeTrainer(const BpeTrainer &) = delete;
    BpeTrainer &operator=(const BpeTrainer &) = delete;

    // Counts the words of `text` (special-token strings are cut out, as the
    // tokenizer will). Throws engine::Error naming `source` on invalid UTF-8.
    void addText(std::string_view text, const std::string &source = "text");

    std::size_t distinctWords() const;

    // Learns the merges; nullopt if progress asked to cancel.
    std::optional<TrainedBpe> train(const BpeProgress &progress = {}) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace engine

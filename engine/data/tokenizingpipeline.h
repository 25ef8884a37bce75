// The middle of the data pipeline on several threads: rendered examples from
// an ExampleSource are tokenized in batches by worker threads while the
// calling thread reads and renders the next batch; results are handed on in
// source order, so everything downstream is exactly as with one thread. The
// first error in source order wins (a tokenizer error of an early example is
// reported before a read error further on). Internal to engine/data;
// Torch-free.
#pragma once

#include "engine/data/examplesource.h"
#include "engine/data/exampletokenizer.h"

#include <functional>

namespace engine::data {

// Called on the calling thread, in source order, for every example.
using TokenizedConsumer = std::function<void(const RenderedExample &, const TokenizedExample &)>;

// Reads `source` to its end. threads: tokenizing workers (<= 0: the engine's
// thread count); 1 tokenizes on the calling thread, with no other thread.
// The tokenizer must be thread-safe (engine tokenizers are). Exceptions from
// the source, the tokenizer or `consume` propagate after every worker has
// finished.
void tokenizeAll(ExampleSource &source, const Tokenizer &tokenizer, std::size_t maxLength,
    const TokenizedConsumer &consume, int threads = 0);

} // namespace engine::data

// Incremental decoding for streaming generation: feed token ids one at a time
// and get back only text that is complete UTF-8 and final (a later token can
// no longer change it). Works with every decoder (byte-level, byte fallback,
// Metaspace) by decoding a short window of recent ids, as tokenizers'
// DecodeStream does. Not thread-safe; one per generation stream.
#pragma once

#include "engine/tokenizer/tokenizer.h"

#include <string>
#include <vector>

namespace engine {

class StreamDecoder
{
public:
    // The tokenizer must outlive the decoder.
    explicit StreamDecoder(const Tokenizer &tokenizer, bool skipSpecial = false);

    // Adds one id; returns the text it completes (often empty for a partial character).
    std::string push(TokenId id);
    // Returns whatever is still held back (an incomplete character becomes U+FFFD) and resets.
    std::string finish();
    // Forgets all ids.
    void reset();

private:
    const Tokenizer &m_tokenizer;
    bool m_skipSpecial;
    std::vector<TokenId> m_ids;   // the window: context ids, then ids not yet emitted
    std::size_t m_prefixIds = 0;  // how many ids of the window were already emitted
    std::string m_prefixText;     // decode of the first m_prefixIds ids
};

} // namespace engine

// libFuzzer entry for the tokenizer: the input is a tokenizer.json text, a NUL
// byte, and a text to encode. Loading must either succeed or return an error
// (never crash); a loaded tokenizer must encode (or reject invalid UTF-8 with
// engine::Error), decode, and stream-decode its own output without crashing,
// and every id it produces must be below vocabSize().
#include "engine/tokenizer/streamdecoder.h"
#include "engine/tokenizer/tokenizerloader.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const std::size_t split = input.find('\0');
    const std::string_view json = input.substr(0, split);
    const std::string_view text = split == std::string_view::npos ? std::string_view("Hello world") : input.substr(split + 1);

    auto loaded = engine::loadTokenizerFromJson(json, "fuzz.json");
    if (!loaded)
        return 0;
    const engine::Tokenizer &tokenizer = *loaded.value();
    for (const bool special : {false, true}) {
        std::vector<engine::TokenId> ids;
        try {
            ids = tokenizer.encode(text, special, special);
        } catch (const engine::Error &) {
            return 0; // invalid UTF-8 or a pattern that PCRE2 gave up on
        }
        for (const engine::TokenId id : ids)
            if (id < 0 || static_cast<std::size_t>(id) >= tokenizer.vocabSize())
                std::abort();
        (void)tokenizer.decode(ids, special);
        engine::StreamDecoder stream(tokenizer, special);
        for (const engine::TokenId id : ids)
            (void)stream.push(id);
        (void)stream.finish();
    }
    return 0;
}

// Normalizers of tokenizer.json ("normalizer"): NFC, NFD, NFKC, NFKD (via
// utf8proc), Lowercase, Strip, Replace (literal or regex), Prepend and
// Sequence. They rewrite one piece of text in place; they do not track
// offsets (Lorafit needs ids, not character offsets).
#pragma once

#include "engine/tokenizer/jsonfields.h"

#include <memory>
#include <string>

namespace engine::tok {

class Normalizer
{
public:
    virtual ~Normalizer() = default;
    virtual void normalize(std::string &text) const = 0;
};

// Builds a normalizer from its JSON object; throws engine::Error naming
// `context` for unknown types or bad fields. Returns nullptr for JSON null.
std::unique_ptr<Normalizer> parseNormalizer(const Json &j, const std::string &context);

// Replaces every occurrence of `from` (non-empty) in text by `to`.
void replaceAll(std::string &text, const std::string &from, const std::string &to);

} // namespace engine::tok

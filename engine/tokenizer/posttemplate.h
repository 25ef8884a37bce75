// The post-processor of tokenizer.json ("post_processor") reduced to what a
// single sequence needs: the ids placed before and after it when special tokens
// are added. Reads TemplateProcessing, RobertaProcessing, BertProcessing,
// ByteLevel (no ids) and Sequence. Pair templates are not used by Lorafit.
#pragma once

#include "engine/tokenizer/jsonfields.h"
#include "engine/tokenizer/tokenizer.h"

#include <string>
#include <vector>

namespace engine::tok {

struct PostTemplate
{
    std::vector<TokenId> prefix; // e.g. {bos}
    std::vector<TokenId> suffix; // e.g. {eos}
    void apply(std::vector<TokenId> &ids) const;
};

// Throws engine::Error naming `context` for unsupported types or bad fields.
PostTemplate parsePostTemplate(const Json &j, const std::string &context);

} // namespace engine::tok

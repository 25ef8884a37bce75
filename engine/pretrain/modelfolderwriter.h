// Internal (Torch): the files of a pretrained model folder — config.json for
// a Llama model with a tied embedding, tokenizer_config.json (ChatML chat
// template, special-token roles), generation_config.json and
// model.safetensors (float16 or float32) — written into a temporary sibling
// folder that replaces the destination only when every file is complete.
#pragma once

#include "engine/model/causallmnet.h"

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace engine {

struct SpecialTokenIds
{
    std::int64_t endOfText = 0; // <|endoftext|>: bos, eos and pad of the base model
    std::int64_t imEnd = 2; // <|im_end|>: also stops generation (end of a chat turn)
};

struct ModelShape
{
    std::int64_t vocab = 0, hidden = 0, intermediate = 0, layers = 0, heads = 0, kvHeads = 0, context = 0;
};

// config.json text for a LlamaForCausalLM of this shape.
std::string llamaConfigJson(const ModelShape &shape, const SpecialTokenIds &ids, bool halfPrecision);

// Writes every file into `folder` (replacing it when `overwrite`, else failing
// if it exists). textFiles: file name -> content (JSON files, reports).
void writeModelFolder(const std::string &folder, bool overwrite, CausalLmNetImpl &net, bool halfPrecision,
    const std::map<std::string, std::string> &textFiles);

// tokenizer_config.json and generation_config.json texts.
// specialTokens: in id order from 0 (the trainer's order).
std::string tokenizerConfigJson(const std::vector<std::string> &specialTokens, std::int64_t context);
std::string generationConfigJson(const SpecialTokenIds &ids);

} // namespace engine

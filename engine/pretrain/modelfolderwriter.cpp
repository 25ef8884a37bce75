// The JSON files of a pretrained folder, the safetensors weights, and the staged rename.
#include "engine/pretrain/modelfolderwriter.h"

#include "engine/core/atomicfile.h"
#include "engine/core/status.h"
#include "engine/io/safetensorswriter.h"
#include "engine/pretrain/pretrainer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <random>

namespace engine {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

const std::string &chatMlTemplate()
{
    static const std::string text
        = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
          "{% endif %}";
    return text;
}

std::string llamaConfigJson(const ModelShape &shape, const SpecialTokenIds &ids, bool halfPrecision)
{
    const Json j = {
        { "architectures", { "LlamaForCausalLM" } },
        { "model_type", "llama" },
        { "vocab_size", shape.vocab },
        { "hidden_size", shape.hidden },
        { "intermediate_size", shape.intermediate },
        { "num_hidden_layers", shape.layers },
        { "num_attention_heads", shape.heads },
        { "num_key_value_heads", shape.kvHeads },
        { "head_dim", shape.hidden / shape.heads },
        { "max_position_embeddings", shape.context },
        { "rms_norm_eps", 1e-5 },
        { "hidden_act", "silu" },
        { "rope_theta", 10000.0 },
        { "rope_scaling", nullptr },
        { "attention_bias", false },
        { "attention_dropout", 0.0 },
        { "mlp_bias", false },
        { "tie_word_embeddings", true },
        { "initializer_range", 0.02 },
        { "bos_token_id", ids.endOfText },
        { "eos_token_id", ids.endOfText },
        { "pad_token_id", ids.endOfText },
        { "torch_dtype", halfPrecision ? "float16" : "float32" },
        { "use_cache", true },
    };
    return j.dump(2) + "\n";
}

std::string tokenizerConfigJson(const std::vector<std::string> &specialTokens, std::int64_t context)
{
    Json added = Json::object();
    for (std::size_t i = 0; i < specialTokens.size(); ++i)
        added[std::to_string(i)] = { { "content", specialTokens[i] }, { "lstrip", false }, { "normalized", false },
            { "rstrip", false }, { "single_word", false }, { "special", true } };
    const Json j = {
        { "add_bos_token", false },
        { "add_eos_token", false },
        { "added_tokens_decoder", added },
        { "bos_token", "<|endoftext|>" },
        { "eos_token", "<|endoftext|>" },
        { "pad_token", "<|endoftext|>" },
        { "unk_token", nullptr },
        { "chat_template", chatMlTemplate() },
        { "clean_up_tokenization_spaces", false },
        { "model_max_length", context },
        { "tokenizer_class", "PreTrainedTokenizerFast" },
    };
    return j.dump(2) + "\n";
}

std::string generationConfigJson(const SpecialTokenIds &ids)
{
    const Json j = {
        { "bos_token_id", ids.endOfText },
        { "eos_token_id", { ids.endOfText, ids.imEnd } },
        { "pad_token_id", ids.endOfText },
        { "do_sample", true },
        { "temperature", 0.8 },
        { "top_p", 0.95 },
    };
    return j.dump(2) + "\n";
}

namespace {

void writeWeights(const std::string &path, CausalLmNetImpl &net, bool halfPrecision)
{
    std::vector<torch::Tensor> keep; // owns the converted bytes until written
    std::vector<TensorData> tensors;
    for (const auto &item : net.named_parameters(true)) {
        torch::Tensor t = item.value().detach().to(torch::kCPU);
        t = (halfPrecision ? t.to(torch::kHalf) : t.to(torch::kFloat)).contiguous();
        keep.push_back(t);
        TensorData data;
        data.name = item.key();
        data.dtype = halfPrecision ? "F16" : "F32";
        data.shape = t.sizes().vec();
        data.data = t.data_ptr();
        data.bytes = static_cast<std::size_t>(t.numel()) * t.element_size();
        tensors.push_back(std::move(data));
    }
    writeSafetensors(path, tensors, { { "lorafit", "pretrain" } });
}

std::string temporarySibling(const fs::path &folder, const char *tag)
{
    std::random_device random;
    return folder.string() + "." + tag + "-" + std::to_string(random() % 1000000);
}

// Moves `staged` to `folder`, replacing an existing folder only when allowed.
void publish(const fs::path &staged, const fs::path &folder, bool overwrite)
{
    std::error_code error;
    if (fs::exists(folder, error)) {
        if (!overwrite)
            throw Error("output folder '" + folder.string() + "' already exists (hint: choose a new --out folder "
                + "or pass --overwrite)");
        const fs::path old = temporarySibling(folder, "old");
        fs::rename(folder, old);
        fs::rename(staged, folder);
        fs::remove_all(old, error);
        return;
    }
    fs::rename(staged, folder);
}

} // namespace

void writeModelFolder(const std::string &folderText, bool overwrite, CausalLmNetImpl &net, bool halfPrecision,
    const std::map<std::string, std::string> &textFiles)
{
    const fs::path folder = fs::absolute(fs::path(folderText)).lexically_normal();
    std::error_code error;
    if (fs::exists(folder, error) && !overwrite)
        throw Error("output folder '" + folderText + "' already exists (hint: choose a new --out folder or pass "
            + "--overwrite)");
    if (!folder.parent_path().empty())
        fs::create_directories(folder.parent_path(), error);
    const fs::path staged = temporarySibling(folder, "partial");
    if (!fs::create_directory(staged, error))
        throw Error("cannot create the folder '" + staged.string() + "': " + error.message()
            + " (hint: check that the parent folder is writable)");
    try {
        for (const auto &[name, text] : textFiles)
            writeFileAtomically((staged / name).string(), text);
        writeWeights((staged / "model.safetensors").string(), net, halfPrecision);
        publish(staged, folder, overwrite);
    } catch (const fs::filesystem_error &e) {
        fs::remove_all(staged, error);
        throw Error("writing the model folder '" + folderText + "' failed: " + e.what());
    } catch (...) {
        fs::remove_all(staged, error);
        throw;
    }
}

} // namespace engine

#include "engine/export/ggufmodelexporter.h"

#include "engine/core/atomicfile.h"
#include "engine/core/status.h"
#include "engine/data/chattemplatedetector.h"
#include "engine/export/ggufconvert.h"
#include "engine/export/ggufexporter.h"
#include "engine/export/ggufvocab.h"
#include "engine/export/ollamamodelfile.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>

namespace engine {

namespace fs = std::filesystem;

namespace {

// One tensor of the GGUF: its name, the parameter and how it is laid out for llama.cpp.
struct GgufModelTensor
{
    std::string name;
    torch::Tensor value;  // the parameter (merged while writing when the adapter is merged)
    bool transpose = false; // GPT-2 Conv1D weight [in, out] -> [out, in]
    std::int64_t permuteHeads = 0; // llama q/k: heads to permute rows by; 0: none
};

bool isLoraParameter(const std::string &name)
{
    const std::size_t dot = name.rfind('.');
    return name.compare(dot == std::string::npos ? 0 : dot + 1, 5, "lora_") == 0;
}

std::vector<GgufModelTensor> ggufModelTensors(const CausalLm &model)
{
    const ModelConfig &config = model.config();
    const bool llamaArch = GgufExporter::architecture(config.modelType) == "llama";
    std::vector<GgufModelTensor> tensors;
    for (const auto &item : model.module().named_parameters(true)) {
        const std::string &name = item.key();
        if (isLoraParameter(name) || (config.tieWordEmbeddings && name == "lm_head.weight"))
            continue;
        GgufModelTensor t{GgufModelExporter::tensorName(config.modelType, name), item.value(), false, 0};
        if (t.name.empty())
            throw Error("GGUF model: parameter '" + name + "' has no llama.cpp tensor name (hint: export a merged "
                        "model and convert it with llama.cpp's convert_hf_to_gguf.py)");
        t.transpose = config.isGpt2() && t.value.dim() == 2 && name.rfind("transformer.h.", 0) == 0;
        if (llamaArch && name.find(".q_proj.") != std::string::npos)
            t.permuteHeads = config.numHeads;
        else if (llamaArch && name.find(".k_proj.") != std::string::npos)
            t.permuteHeads = config.numKvHeads;
        tensors.push_back(std::move(t));
    }
    return tensors;
}

constexpr double kPi = 3.14159265358979323846;

// convert_hf_to_gguf.py's rope_freqs for Llama-3.1-style scaling: a divisor per rotary frequency.
torch::Tensor llama3RopeFactors(const ModelConfig &config)
{
    const RopeScaling &s = config.ropeScaling;
    const double lowWavelength = s.originalMaxPositions / s.lowFreqFactor;
    const double highWavelength = s.originalMaxPositions / s.highFreqFactor;
    std::vector<float> factors;
    for (std::int64_t i = 0; i < config.headDim; i += 2) {
        const double frequency = 1.0 / std::pow(config.ropeTheta, static_cast<double>(i) / config.headDim);
        const double wavelength = 2.0 * kPi / frequency;
        if (wavelength < highWavelength)
            factors.push_back(1.0f);
        else if (wavelength > lowWavelength)
            factors.push_back(static_cast<float>(s.factor));
        else {
            const double smooth = (s.originalMaxPositions / wavelength - s.lowFreqFactor)
                / (s.highFreqFactor - s.lowFreqFactor);
            factors.push_back(static_cast<float>(1.0 / ((1.0 - smooth) / s.factor + smooth)));
        }
    }
    return torch::tensor(factors); // (hd/2)
}

void addHyperParameters(GgufWriter &writer, const ModelConfig &c, const std::string &arch)
{
    auto u32 = [&](const std::string &key, std::int64_t value) {
        writer.addUint32(arch + "." + key, static_cast<std::uint32_t>(value));
    };
    u32("context_length", c.maxPositions);
    u32("embedding_length", c.hiddenSize);
    u32("feed_forward_length", c.intermediateSize);
    u32("block_count", c.numLayers);
    u32("attention.head_count", c.numHeads);
    if (c.isGpt2()) {
        writer.addFloat32(arch + ".attention.layer_norm_epsilon", static_cast<float>(c.normEps));
        return;
    }
    u32("attention.head_count_kv", c.numKvHeads);
    u32("attention.key_length", c.headDim);
    u32("attention.value_length", c.headDim);
    u32("rope.dimension_count", c.headDim);
    u32("vocab_size", c.vocabSize);
    writer.addFloat32(arch + ".attention.layer_norm_rms_epsilon", static_cast<float>(c.normEps));
    writer.addFloat32(arch + ".rope.freq_base", static_cast<float>(c.ropeTheta));
    if (c.ropeScaling.type == "linear") {
        writer.addString(arch + ".rope.scaling.type", "linear");
        writer.addFloat32(arch + ".rope.scaling.factor", static_cast<float>(c.ropeScaling.factor));
    }
}

void addModelTensors(GgufWriter &writer, const ExportContext &context, const std::vector<GgufModelTensor> &tensors)
{
    const std::size_t total = tensors.size();
    for (std::size_t i = 0; i < total; ++i) {
        const GgufModelTensor &t = tensors[i];
        std::vector<std::int64_t> shape(t.value.sizes().begin(), t.value.sizes().end());
        if (t.transpose)
            std::swap(shape[0], shape[1]);
        const GgufType type = ggufTensorType(context.dtype, shape);
        writer.addTensor(t.name, shape, type, [&context, t, type, i, total] {
            context.progress(0.05 + 0.9 * static_cast<double>(i) / total, "writing " + t.name);
            torch::NoGradGuard noGrad;
            torch::Tensor value = t.value.detach().to(torch::kCPU, torch::kFloat32);
            if (t.transpose)
                value = value.t().contiguous(); // (O, I)
            if (t.permuteHeads)
                value = permuteQkRows(value, t.permuteHeads);
            return ggufTensorBytes(value, type);
        });
    }
}

// PiSSA rewrote the adapted weights in memory to their residual; the base alone is the original in the files.
void useOriginalWeights(std::vector<GgufModelTensor> &tensors, const ExportContext &context)
{
    const ModelConfig &config = context.model.config();
    for (const AdaptedMatrix &m : context.lora.matrices()) {
        const std::string name = GgufModelExporter::tensorName(config.modelType, m.name + ".weight");
        for (GgufModelTensor &t : tensors)
            if (t.name == name)
                t.value = originalBaseWeight(context.baseFolder, m.name + ".weight");
    }
}

// Unmerges when the write leaves, however it leaves.
struct MergedForGguf
{
    explicit MergedForGguf(LoraModel &lora) : lora(lora) { lora.merge(); }
    ~MergedForGguf() { lora.unmerge(); }
    MergedForGguf(const MergedForGguf &) = delete;
    MergedForGguf &operator=(const MergedForGguf &) = delete;
    LoraModel &lora;
};

data::TemplateDetection templateFor(const ExportContext &context)
{
    const Result<data::TemplateDetection> detection = data::detectModelChatTemplate(context.baseFolder);
    if (detection && !detection->jinja.empty())
        return detection.value();
    data::TemplateDetection fromRequest = data::detectChatTemplate(context.request.chatTemplate);
    fromRequest.jinja = context.request.chatTemplate;
    return fromRequest;
}

std::string writeModelfile(const ExportContext &context, const std::string &folder, const std::string &modelFile)
{
    const data::TemplateDetection detection = templateFor(context);
    ModelfileInputs inputs;
    inputs.model = "./" + modelFile;
    const auto &formats = context.request.formats;
    if (!context.request.mergeAdapter && std::find(formats.begin(), formats.end(), "gguf") != formats.end()) {
        const TensorDtype adapterDtype = context.request.dtype.value_or(TensorDtype::F32);
        const fs::path adapter = fs::path(exportFolder(context.request, "gguf"))
            / GgufExporter::fileName(context.baseFolder, adapterDtype);
        inputs.adapter = "./" + adapter.lexically_relative(folder).generic_string();
    }
    inputs.templateKnown = !detection.jinja.empty() && detection.recognised && detection.warning.empty();
    inputs.chatTemplate = detection.chatTemplate;
    inputs.systemPrompt = context.request.systemPrompt;
    const std::string path = (fs::path(folder) / "Modelfile").string();
    writeFileAtomically(path, ollamaModelfile(inputs));
    return path;
}

} // namespace

std::string GgufModelExporter::tensorName(const std::string &modelType, const std::string &parameter)
{
    static const std::map<std::string, std::string> globals = {
        {"model.embed_tokens.weight", "token_embd.weight"}, {"model.norm.weight", "output_norm.weight"},
        {"lm_head.weight", "output.weight"}, {"transformer.wte.weight", "token_embd.weight"},
        {"transformer.wpe.weight", "position_embd.weight"}, {"transformer.ln_f.weight", "output_norm.weight"},
        {"transformer.ln_f.bias", "output_norm.bias"}};
    static const std::map<std::string, std::string> llamaBlocks = {
        {"input_layernorm", "attn_norm"}, {"post_attention_layernorm", "ffn_norm"}, {"self_attn.q_proj", "attn_q"},
        {"self_attn.k_proj", "attn_k"}, {"self_attn.v_proj", "attn_v"}, {"self_attn.o_proj", "attn_output"},
        {"self_attn.q_norm", "attn_q_norm"}, {"self_attn.k_norm", "attn_k_norm"}, {"mlp.gate_proj", "ffn_gate"},
        {"mlp.up_proj", "ffn_up"}, {"mlp.down_proj", "ffn_down"}};
    static const std::map<std::string, std::string> gpt2Blocks = {
        {"ln_1", "attn_norm"}, {"ln_2", "ffn_norm"}, {"attn.c_attn", "attn_qkv"}, {"attn.c_proj", "attn_output"},
        {"mlp.c_fc", "ffn_up"}, {"mlp.c_proj", "ffn_down"}};
    static const std::regex block(R"((?:model\.layers|transformer\.h)\.(\d+)\.(.+)\.(weight|bias))");
    const bool gpt2 = modelType == "gpt2";
    if (const auto it = globals.find(parameter); it != globals.end())
        return (parameter.rfind("transformer.", 0) == 0) == gpt2 || parameter == "lm_head.weight" ? it->second : "";
    std::smatch match;
    if (!std::regex_match(parameter, match, block) || (parameter.rfind("transformer.", 0) == 0) != gpt2)
        return {};
    const auto &names = gpt2 ? gpt2Blocks : llamaBlocks;
    const auto it = names.find(match[2].str());
    return it == names.end() ? std::string() : "blk." + match[1].str() + "." + it->second + "." + match[3].str();
}

std::string GgufModelExporter::fileName(const ExportContext &context)
{
    std::string base = fs::path(context.baseFolder).filename().string();
    if (base.empty())
        base = "model";
    return base + "-" + ggufTypeLabel(context.dtype) + ".gguf";
}

ExportFormatInfo GgufModelExporter::info() const
{
    return {"gguf-model", "GGUF model (llama.cpp, Ollama, LM Studio)",
            "one .gguf with the whole model (adapter merged in), its tokenizer and chat template, plus an Ollama "
            "Modelfile; runs in llama.cpp, Ollama and LM Studio without the base model",
            {TensorDtype::F32, TensorDtype::F16, TensorDtype::BF16, TensorDtype::Q8_0}};
}

TensorDtype GgufModelExporter::defaultDtype(const ExportContext &context) const
{
    return tensorDtypeOfStored(context.model.config().storedDtype);
}

std::vector<std::string> GgufModelExporter::preflight(const ExportContext &context) const
{
    std::vector<std::string> problems;
    const ModelConfig &c = context.model.config();
    const std::string arch = GgufExporter::architecture(c.modelType);
    if (arch.empty()) {
        problems.push_back("GGUF model: not yet supported for GGUF: model_type '" + c.modelType
                           + "' (hint: export as PEFT or merged safetensors; gpt2, llama, mistral, qwen2 and qwen3 "
                             "can be exported as GGUF)");
        return problems;
    }
    if (c.ropeScaling.type != "default" && c.ropeScaling.type != "linear"
        && !(c.ropeScaling.type == "llama3" && arch == "llama"))
        problems.push_back("GGUF model: rope scaling '" + c.ropeScaling.type + "' of a " + c.modelType
                           + " model has no llama.cpp form in Lorafit (hint: export a merged model and convert it "
                           "with convert_hf_to_gguf.py)");
    if (context.request.mergeAdapter)
        for (const AdaptedMatrix &m : context.lora.matrices())
            if (m.lora->base()->isTied())
                problems.push_back("GGUF model: '" + m.name + "' shares its weight with the token embedding, so the "
                                   "adapter cannot be merged into it (hint: leave lm_head out of the targets)");
    if (context.request.conversational && context.request.chatTemplate.empty() && templateFor(context).jinja.empty())
        problems.push_back("GGUF model: the adapter was trained on conversations but the base model has no chat "
                           "template for llama.cpp to format prompts with (hint: pass the template with "
                           "--chat-template FILE.jinja)");
    try {
        ggufModelTensors(context.model);
        readGgufVocab(context.baseFolder, c.vocabSize, context.request.chatTemplate);
    } catch (const Error &e) {
        problems.push_back(e.what());
    }
    return problems;
}

std::vector<std::string> GgufModelExporter::warnings(const ExportContext &context) const
{
    std::vector<std::string> warnings;
    const ModelConfig &c = context.model.config();
    try {
        const GgufVocab vocab = readGgufVocab(context.baseFolder, c.vocabSize, context.request.chatTemplate);
        if (!vocab.preWarning.empty())
            warnings.push_back(vocab.preWarning);
    } catch (const Error &) {
        // preflight reports it
    }
    for (std::int64_t window : c.slidingWindows)
        if (window > 0 && window < c.maxPositions) {
            warnings.push_back("GGUF model: llama.cpp's " + GgufExporter::architecture(c.modelType) + " architecture "
                               "attends to the whole context, not to the sliding window of "
                               + std::to_string(window) + " tokens; outputs differ past that length");
            break;
        }
    if (context.dtype == TensorDtype::Q8_0)
        warnings.push_back("GGUF model q8_0: norms and biases stay f32; matrices whose rows are not a multiple of "
                           "32 are stored as f16");
    const data::TemplateDetection detection = templateFor(context);
    if (!detection.jinja.empty() && (!detection.recognised || !detection.warning.empty()))
        warnings.push_back("Ollama Modelfile: the chat template is not one Lorafit translates to Ollama's syntax, "
                           "so the Modelfile has no TEMPLATE and Ollama falls back to the GGUF's chat template");
    return warnings;
}

std::uint64_t GgufModelExporter::estimatedBytes(const ExportContext &context) const
{
    const double bytesPerValue = context.dtype == TensorDtype::F32 ? 4.0 : context.dtype == TensorDtype::Q8_0
        ? 34.0 / 32.0 : 2.0;
    std::uint64_t values = 0;
    for (const auto &item : context.model.module().named_parameters(true))
        values += static_cast<std::uint64_t>(item.value().numel());
    std::error_code ec;
    const std::uintmax_t tokenizer = fs::file_size(fs::path(context.baseFolder) / "tokenizer.json", ec);
    return static_cast<std::uint64_t>(values * bytesPerValue) + (ec ? 0 : tokenizer) + 1024 * 1024;
}

std::vector<std::string> GgufModelExporter::write(const ExportContext &context, const std::string &folder) const
{
    const ModelConfig &c = context.model.config();
    const std::string arch = GgufExporter::architecture(c.modelType);
    context.progress(0.0, "reading the tokenizer");
    const GgufVocab vocab = readGgufVocab(context.baseFolder, c.vocabSize, context.request.chatTemplate);
    GgufWriter writer;
    writer.addString("general.architecture", arch);
    writer.addString("general.type", "model");
    writer.addString("general.name", fs::path(context.baseFolder).filename().string()
                     + (context.request.mergeAdapter ? " + LoRA (merged)" : ""));
    writer.addUint32("general.file_type", ggufFileType(context.dtype));
    if (context.dtype == TensorDtype::Q8_0)
        writer.addUint32("general.quantization_version", 2);
    addHyperParameters(writer, c, arch);
    addGgufVocab(writer, vocab);

    std::optional<MergedForGguf> merged;
    if (context.request.mergeAdapter) {
        context.progress(0.02, "merging the adapter into the weights");
        merged.emplace(context.lora);
    }
    std::vector<GgufModelTensor> tensors = ggufModelTensors(context.model);
    if (!context.request.mergeAdapter && context.lora.config().init == LoraInit::Pissa)
        useOriginalWeights(tensors, context);
    addModelTensors(writer, context, tensors);
    if (c.ropeScaling.type == "llama3")
        addGgufTensor(writer, "rope_freqs.weight", llama3RopeFactors(c), TensorDtype::F32);
    const std::string file = fileName(context);
    const std::string path = (fs::path(folder) / file).string();
    writer.write(path);
    merged.reset();
    context.progress(0.98, "writing the Ollama Modelfile");
    const std::string modelfile = writeModelfile(context, folder, file);
    context.progress(1.0, "GGUF model written");
    return {path, modelfile};
}

} // namespace engine

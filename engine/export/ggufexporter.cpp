#include "engine/export/ggufexporter.h"

#include "engine/export/ggufconvert.h"
#include "engine/export/ggufwriter.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <regex>

namespace engine {

std::string GgufExporter::architecture(const std::string &modelType)
{
    if (modelType == "llama" || modelType == "mistral")
        return "llama"; // convert_hf_to_gguf.py registers MistralForCausalLM as the llama architecture
    if (modelType == "gpt2" || modelType == "qwen2" || modelType == "qwen3")
        return modelType;
    return {};
}

std::string GgufExporter::tensorName(const std::string &modelType, const std::string &module)
{
    if (module == "lm_head")
        return "output.weight";
    static const std::regex gpt2(R"(transformer\.h\.(\d+)\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj))");
    static const std::regex llama(R"(model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+))");
    static const std::map<std::string, std::string> gpt2Names = {
        {"attn.c_attn", "attn_qkv"}, {"attn.c_proj", "attn_output"}, {"mlp.c_fc", "ffn_up"}, {"mlp.c_proj", "ffn_down"}};
    static const std::map<std::string, std::string> llamaNames = {
        {"q_proj", "attn_q"}, {"k_proj", "attn_k"}, {"v_proj", "attn_v"}, {"o_proj", "attn_output"},
        {"gate_proj", "ffn_gate"}, {"up_proj", "ffn_up"}, {"down_proj", "ffn_down"}};
    std::smatch match;
    if (modelType == "gpt2" && std::regex_match(module, match, gpt2))
        return "blk." + match[1].str() + "." + gpt2Names.at(match[2].str()) + ".weight";
    if (modelType != "gpt2" && std::regex_match(module, match, llama)) {
        const auto it = llamaNames.find(match[3].str());
        if (it != llamaNames.end())
            return "blk." + match[1].str() + "." + it->second + ".weight";
    }
    return {};
}

std::string GgufExporter::fileName(const ExportContext &context)
{
    return fileName(context.baseFolder, context.dtype);
}

std::string GgufExporter::fileName(const std::string &baseFolder, TensorDtype dtype)
{
    std::string base = std::filesystem::path(baseFolder).filename().string();
    if (base.empty())
        base = "adapter";
    return base + "-" + ggufTypeLabel(dtype) + "-LoRA.gguf";
}

ExportFormatInfo GgufExporter::info() const
{
    return {"gguf", "GGUF LoRA adapter",
            "one .gguf file for llama.cpp (llama-cli/llama-server --lora) on a GGUF of the same base model",
            {TensorDtype::F32, TensorDtype::F16, TensorDtype::BF16, TensorDtype::Q8_0}};
}

std::vector<std::string> GgufExporter::preflight(const ExportContext &context) const
{
    std::vector<std::string> problems;
    const LoraConfig &config = context.lora.config();
    const std::string &type = context.model.config().modelType;
    if (architecture(type).empty())
        problems.push_back("GGUF: not yet supported for GGUF: model_type '" + type + "' has no llama.cpp LoRA mapping "
                           "in Lorafit (hint: export as PEFT (convert it with llama.cpp's convert_lora_to_gguf.py) "
                           "or merged safetensors)");
    if (config.dora)
        problems.push_back("GGUF: llama.cpp cannot apply DoRA's magnitude vectors (hint: export a merged model and "
                           "convert that with convert_hf_to_gguf.py)");
    for (const AdaptedMatrix &m : context.lora.matrices()) {
        if (m.lora->base()->isTied())
            problems.push_back("GGUF: '" + m.name + "' shares the token embedding, which llama.cpp has no separate "
                               "output tensor for (hint: leave lm_head out of the targets)");
        else if (!architecture(type).empty() && tensorName(type, m.name).empty())
            problems.push_back("GGUF: module '" + m.name + "' has no GGUF tensor name (hint: leave it out of the "
                               "targets or export the PEFT adapter)");
    }
    return problems;
}

std::vector<std::string> GgufExporter::warnings(const ExportContext &context) const
{
    if (context.dtype == TensorDtype::Q8_0)
        return {"GGUF q8_0: lora_b tensors of rank not divisible by 32 are stored as f16, as llama.cpp's converter does"};
    return {};
}

std::uint64_t GgufExporter::estimatedBytes(const ExportContext &context) const
{
    const std::uint64_t bytesPerValue = context.dtype == TensorDtype::F32 ? 4 : 2;
    return static_cast<std::uint64_t>(context.lora.parameterCount()) * bytesPerValue + 64 * 1024;
}

std::vector<std::string> GgufExporter::write(const ExportContext &context, const std::string &folder) const
{
    const ModelConfig &model = context.model.config();
    const LoraConfig &config = context.lora.config();
    const std::string arch = architecture(model.modelType);
    GgufWriter writer;
    writer.addString("general.architecture", arch);
    writer.addString("general.type", "adapter");
    writer.addString("general.name", std::filesystem::path(context.baseFolder).filename().string() + " LoRA");
    writer.addUint32("general.file_type", ggufFileType(context.dtype));
    if (context.dtype == TensorDtype::Q8_0)
        writer.addUint32("general.quantization_version", 2);
    writer.addString("adapter.type", "lora");
    writer.addFloat32("adapter.lora.alpha", static_cast<float>(config.alpha));

    const auto &matrices = context.lora.matrices();
    torch::NoGradGuard noGrad;
    for (std::size_t i = 0; i < matrices.size(); ++i) {
        const AdaptedMatrix &m = matrices[i];
        context.progress(static_cast<double>(i) / matrices.size(), "converting " + m.name);
        torch::Tensor a = m.lora->A.detach().to(torch::kCPU, torch::kFloat32); // (R, I)
        torch::Tensor b = m.lora->B.detach().to(torch::kCPU, torch::kFloat32); // (O, R)
        if (config.init == LoraInit::Pissa) {
            // The trained model is W − s·B0·A0 + s·B·A: on the original W a plain LoRA [B, −B0]·[A; A0] of rank 2r.
            torch::Tensor w = originalBaseWeight(context.baseFolder, m.name + ".weight");
            if (m.lora->base()->isConv1d())
                w = w.t(); // (O, I)
            torch::Tensor a0, b0;
            pissaInitialPair(w, m.lora->rank(), m.lora->scaling(), a0, b0);
            a = torch::cat({a, a0}, 0);  // (2R, I)
            b = torch::cat({b, -b0}, 1); // (O, 2R)
        }
        // llama.cpp applies alpha/rank; fold the module's real scaling in: B' = B · s · rank / alpha.
        b = b * (m.lora->scaling() * static_cast<double>(b.size(1)) / config.alpha);
        if (arch == "llama" && m.kind == "q_proj")
            b = permuteQkRows(b, model.numHeads);
        else if (arch == "llama" && m.kind == "k_proj")
            b = permuteQkRows(b, model.numKvHeads);
        const std::string name = tensorName(model.modelType, m.name);
        addGgufTensor(writer, name + ".lora_a", a, context.dtype);
        addGgufTensor(writer, name + ".lora_b", b, context.dtype);
    }
    const std::string path = (std::filesystem::path(folder) / fileName(context)).string();
    context.progress(0.99, "writing " + path);
    writer.write(path);
    context.progress(1.0, "GGUF adapter written");
    return {path};
}

} // namespace engine

#include "engine/export/peftexporter.h"

#include "engine/core/atomicfile.h"
#include "engine/export/modelcard.h"
#include "engine/lora/peftadapter.h"

#include <filesystem>
#include <set>

namespace engine {

ExportFormatInfo PeftExporter::info() const
{
    return {"peft", "PEFT adapter folder",
            "adapter_config.json + adapter_model.safetensors + README.md; loads in PEFT, vLLM and LoRAX",
            {TensorDtype::F32, TensorDtype::F16, TensorDtype::BF16}};
}

std::vector<std::string> PeftExporter::preflight(const ExportContext &context) const
{
    (void)context;
    return {};
}

std::vector<std::string> PeftExporter::warnings(const ExportContext &context) const
{
    const LoraConfig &config = context.lora.config();
    std::vector<std::string> out;
    if (config.dora)
        out.push_back("PEFT loads this DoRA adapter, but vLLM and LoRAX do not (hint: export a merged model for them)");
    if (config.init == LoraInit::Pissa)
        out.push_back("PiSSA adapters need the base rewritten as PEFT does on load; vLLM and LoRAX would apply them to "
                      "the unmodified base (hint: export a merged model for them)");
    if (!config.rankPattern.empty() || !config.alphaPattern.empty())
        out.push_back("LoRAX ignores rank_pattern and alpha_pattern (PEFT and vLLM read them)");
    const std::set<int> vllmRanks = {8, 16, 32, 64, 128, 256};
    if (!vllmRanks.count(config.rank))
        out.push_back("vLLM accepts ranks 8, 16, 32, 64 (newer versions up to 512); this adapter has rank "
                      + std::to_string(config.rank));
    return out;
}

std::uint64_t PeftExporter::estimatedBytes(const ExportContext &context) const
{
    const std::uint64_t bytesPerValue = context.dtype == TensorDtype::F32 ? 4 : 2;
    return static_cast<std::uint64_t>(context.lora.parameterCount()) * bytesPerValue + 64 * 1024;
}

std::vector<std::string> PeftExporter::write(const ExportContext &context, const std::string &folder) const
{
    context.progress(0.0, "writing adapter");
    savePeftAdapter(folder, context.lora, context.adapterInfo, context.dtype);
    const std::filesystem::path dir(folder);
    const std::string card = (dir / "README.md").string();
    writeFileAtomically(card, modelCardMarkdown(context.request.card, context.adapterInfo.baseModel));
    context.progress(1.0, "adapter written");
    return {(dir / kPeftConfigName).string(), (dir / kPeftWeightsName).string(), card};
}

} // namespace engine

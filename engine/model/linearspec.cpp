#include "engine/model/linearspec.h"

namespace engine {

namespace {

void addGpt2Layer(const ModelConfig &c, int layer, std::vector<LinearSpec> &specs)
{
    const std::string prefix = "transformer.h." + std::to_string(layer) + ".";
    const std::int64_t C = c.hiddenSize, I = c.intermediateSize;
    specs.push_back({ prefix + "attn.c_attn", layer, C, 3 * C, true, true });
    specs.push_back({ prefix + "attn.c_proj", layer, C, C, true, true });
    specs.push_back({ prefix + "mlp.c_fc", layer, C, I, true, true });
    specs.push_back({ prefix + "mlp.c_proj", layer, I, C, true, true });
}

void addLlamaLayer(const ModelConfig &c, int layer, std::vector<LinearSpec> &specs)
{
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    const std::int64_t H = c.hiddenSize, I = c.intermediateSize;
    const std::int64_t q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
    if (c.fusedProjections) { // Phi-3
        specs.push_back({ prefix + "self_attn.qkv_proj", layer, H, q + 2 * kv, c.qkvBias, false });
        specs.push_back({ prefix + "self_attn.o_proj", layer, q, H, c.outputBias, false });
        specs.push_back({ prefix + "mlp.gate_up_proj", layer, H, 2 * I, c.mlpBias, false });
        specs.push_back({ prefix + "mlp.down_proj", layer, I, H, c.mlpBias, false });
        return;
    }
    specs.push_back({ prefix + "self_attn.q_proj", layer, H, q, c.qkvBias, false });
    specs.push_back({ prefix + "self_attn.k_proj", layer, H, kv, c.qkvBias, false });
    specs.push_back({ prefix + "self_attn.v_proj", layer, H, kv, c.qkvBias, false });
    specs.push_back({ prefix + "self_attn.o_proj", layer, q, H, c.outputBias, false });
    specs.push_back({ prefix + "mlp.gate_proj", layer, H, I, c.mlpBias, false });
    specs.push_back({ prefix + "mlp.up_proj", layer, H, I, c.mlpBias, false });
    specs.push_back({ prefix + "mlp.down_proj", layer, I, H, c.mlpBias, false });
}

} // namespace

std::vector<LinearSpec> linearSpecs(const ModelConfig &config)
{
    std::vector<LinearSpec> specs;
    for (int layer = 0; layer < config.numLayers; ++layer) {
        if (config.isGpt2())
            addGpt2Layer(config, layer, specs);
        else
            addLlamaLayer(config, layer, specs);
    }
    specs.push_back({ "lm_head", -1, config.hiddenSize, config.vocabSize, false, false });
    return specs;
}

std::string linearShortName(const std::string &fullName)
{
    for (const std::string marker : { ".layers.", ".h." }) {
        const std::size_t at = fullName.find(marker);
        if (at == std::string::npos)
            continue;
        const std::size_t dot = fullName.find('.', at + marker.size());
        if (dot != std::string::npos)
            return fullName.substr(dot + 1);
    }
    return fullName;
}

} // namespace engine

// Benchmark: generation and evaluation speed on a 124M-parameter GPT-2-shaped
// random f32 model (the shape of gpt2 on the Hub), 2 threads.
//   bench_generate [new_tokens]
// Prints: prompt prefill time, decode tokens/s with the KV cache, the same
// tokens recomputed without a cache (what the cache saves), and evaluation
// throughput (per-token losses over a 1024-token window).
#include "engine/generate/textgenerator.h"
#include "engine/generate/tokenlosses.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace {

const char *const kConfig = R"({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 50257,
  "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024, "n_inner": null,
  "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05})";

// Every id decodes to one letter: enough for the streaming decoder.
class LetterTokenizer : public engine::Tokenizer
{
public:
    std::vector<engine::TokenId> encode(std::string_view text, bool, bool) const override
    {
        return std::vector<engine::TokenId>(text.begin(), text.end());
    }
    std::string decode(const std::vector<engine::TokenId> &ids, bool) const override
    {
        std::string text;
        for (const engine::TokenId id : ids)
            text += static_cast<char>('a' + id % 26);
        return text;
    }
    std::size_t vocabSize() const override { return 50257; }
    std::optional<engine::TokenId> tokenToId(std::string_view) const override { return std::nullopt; }
    std::string idToToken(engine::TokenId id) const override { return decode({ id }, false); }
    bool isSpecial(engine::TokenId) const override { return false; }
    const engine::SpecialTokens &specialTokens() const override { return m_special; }

private:
    engine::SpecialTokens m_special;
};

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

engine::CausalLm randomModel()
{
    const auto config = engine::parseModelConfig(kConfig, "bench config");
    auto net = engine::buildCausalLmNet(config.value());
    torch::manual_seed(0);
    torch::NoGradGuard noGrad;
    for (auto &parameter : net->parameters())
        parameter.normal_(0.0, 0.02);
    return engine::CausalLm(net, "(random)", {});
}

std::vector<engine::TokenId> ids(std::size_t count)
{
    std::vector<engine::TokenId> out;
    for (std::size_t i = 0; i < count; ++i)
        out.push_back(static_cast<engine::TokenId>((i * 7919) % 50257));
    return out;
}

double recomputeSeconds(const engine::CausalLm &model, std::vector<engine::TokenId> sequence, int tokens)
{
    torch::NoGradGuard noGrad;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < tokens; ++i) {
        const std::vector<std::int64_t> wide(sequence.begin(), sequence.end());
        const torch::Tensor logits = model.forward(torch::tensor(wide).unsqueeze(0)); // (1, T, V)
        sequence.push_back(static_cast<engine::TokenId>(logits[0][-1].argmax().item<std::int64_t>()));
    }
    return secondsSince(start);
}

} // namespace

int main(int argc, char **argv)
{
    try {
        torch::set_num_threads(2);
        const int newTokens = argc > 1 ? std::stoi(argv[1]) : 64;
        const engine::CausalLm model = randomModel();
        const LetterTokenizer tokenizer;
        const std::vector<engine::TokenId> prompt = ids(32);
        const engine::GenerationResult result =
            engine::generateTokens(model, tokenizer, prompt, {}, engine::greedyOptions(newTokens));
        std::printf("gpt2-124M f32, 2 threads, prompt 32 tokens, %d new tokens (greedy)\n", newTokens);
        std::printf("prefill: %.3f s (%.0f tokens/s)\n", result.promptSeconds, 32.0 / result.promptSeconds);
        std::printf("decode with KV cache: %.2f s, %.1f tokens/s\n", result.generateSeconds, result.tokensPerSecond);
        const double recompute = recomputeSeconds(model, prompt, newTokens);
        std::printf("decode recomputing the sequence: %.2f s, %.1f tokens/s\n", recompute, newTokens / recompute);
        const std::vector<engine::TokenId> text = ids(1024);
        const auto start = std::chrono::steady_clock::now();
        const engine::TokenLossRun run = engine::computeTokenLosses(model, text, 1024);
        const double seconds = secondsSince(start);
        std::printf("eval: 1024 tokens in %.2f s, %.0f tokens/s (%zu losses)\n", seconds, 1024.0 / seconds,
            run.losses.size());
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_generate: %s\n", e.what());
        return 1;
    }
}

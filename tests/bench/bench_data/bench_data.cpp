// Dataset pipeline throughput: writes a JSONL chat file of the given size
// (default 100 MB) to a temporary folder, then times reading + shape +
// ChatML rendering + tokenizing + packing into 2048-token rows, and prints
// MB/s and peak RSS (targets: >= 20 MB/s, < 500 MB). The tokenizer is a real
// one from a model folder (tokenizer.json) when given, else a byte-level fake
// (one token per byte). Mode "stream" (default) is the streaming path of the
// preview on one thread; "loader" times DataLoader::open as training uses it
// (tokenizing on the engine's threads, LORAFIT_THREADS), which also keeps
// every token in memory (4 bytes per token).
// Usage: bench_data [megabytes] [stream|loader] [TOKENIZER_MODEL_DIR]
#include "bytetokenizer.h"

#include "engine/data/dataloader.h"
#include "engine/data/examplesource.h"
#include "engine/data/exampletokenizer.h"
#include "engine/core/runtime.h"
#include "engine/tokenizer/tokenizerloader.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#ifndef _WIN32
#include <sys/resource.h>
#endif

namespace {

namespace fs = std::filesystem;
using namespace engine::data;

double peakRssMb()
{
#ifndef _WIN32
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
#else
    return 0.0;
#endif
}

// A vocabulary of 20,000 made-up words of 1-4 syllables (with some accented
// and CJK ones, escaped quotes and line breaks), drawn with Zipf-like
// frequencies, so a BPE tokenizer meets new words as in real text instead of
// hitting its word cache every time.
class WordSource
{
public:
    explicit WordSource(std::mt19937 &random)
    {
        static const char *const kSyllables[] = { "ka", "ri", "to", "men", "sul", "dra", "ve", "on", "lis", "que",
            "bar", "ti", "no", "gra", "pel", "ur", "ze", "hom", "fa", "ly", "ché", "grü", "ñor", "ß", "学", "習" };
        std::uniform_int_distribution<std::size_t> syllable(0, std::size(kSyllables) - 1);
        std::uniform_int_distribution<int> syllables(1, 4);
        for (int i = 0; i < 20000; ++i) {
            std::string word;
            for (int n = syllables(random); n > 0; --n)
                word += kSyllables[syllable(random)];
            m_words.push_back(i % 97 == 0 ? "\\\"" + word + "\\\"" : i % 89 == 0 ? word + "\\n" : word);
        }
        for (const char *common : { "the", "of", "and", "to", "a", "in", "is", "it", "model", "data" })
            m_words.insert(m_words.begin(), common);
        std::vector<double> weights;
        for (std::size_t i = 0; i < m_words.size(); ++i)
            weights.push_back(1.0 / static_cast<double>(i + 1));
        m_pick = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
    }
    std::string sentence(std::mt19937 &random, int words)
    {
        std::string s;
        for (int i = 0; i < words; ++i)
            s += (i ? " " : "") + m_words[m_pick(random)];
        return s;
    }

private:
    std::vector<std::string> m_words;
    std::discrete_distribution<std::size_t> m_pick;
};

std::uint64_t writeChatFile(const std::string &path, std::uint64_t bytes)
{
    std::ofstream out(path, std::ios::binary);
    std::mt19937 random(1);
    WordSource vocabulary(random);
    auto sentence = [&](std::mt19937 &r, int n) { return vocabulary.sentence(r, n); };
    std::uniform_int_distribution<int> words(10, 200);
    std::uint64_t written = 0;
    while (written < bytes) {
        const std::string line = "{\"messages\": [{\"role\": \"system\", \"content\": \"" + sentence(random, 8)
            + "\"}, {\"role\": \"user\", \"content\": \"" + sentence(random, words(random))
            + "\"}, {\"role\": \"assistant\", \"content\": \"" + sentence(random, words(random)) + "\"}]}\n";
        out << line;
        written += line.size();
    }
    return written;
}

// Streaming: render, tokenize and pack into fixed rows; returns rows made.
std::int64_t streamPipeline(const DatasetConfig &config, const engine::Tokenizer &tokenizer, std::uint64_t &tokens)
{
    ExampleSource source(config.trainPath, config, nullptr, &tokenizer);
    RenderedExample rendered;
    TokenizedExample tokenized;
    const auto maxLength = static_cast<std::size_t>(config.maxLength);
    std::vector<engine::TokenId> rowIds;
    std::vector<engine::TokenId> rowLabels;
    rowIds.reserve(maxLength);
    rowLabels.reserve(maxLength);
    std::int64_t rows = 0;
    while (source.next(rendered)) {
        tokenizeExample(rendered, tokenizer, maxLength, tokenized);
        tokens += tokenized.ids.size();
        if (rowIds.size() + tokenized.ids.size() > maxLength) {
            ++rows;
            rowIds.clear();
            rowLabels.clear();
        }
        const bool documentStart = !rowIds.empty();
        rowIds.insert(rowIds.end(), tokenized.ids.begin(), tokenized.ids.end());
        rowLabels.insert(rowLabels.end(), tokenized.labels.begin(), tokenized.labels.end());
        if (documentStart)
            rowLabels[rowLabels.size() - tokenized.ids.size()] = kIgnoreIndex;
    }
    return rows + (rowIds.empty() ? 0 : 1);
}

} // namespace

int main(int argc, char **argv)
{
    const double baselineRss = peakRssMb(); // the executable and its shared libraries (LibTorch)
    const std::uint64_t megabytes = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100;
    const std::string mode = argc > 2 ? argv[2] : "stream";
    const std::string tokenizerDir = argc > 3 ? argv[3] : "";
    engine::initRuntime();
    const fs::path dir = fs::temp_directory_path() / ("lorafit-bench-data-" + std::to_string(std::random_device()()));
    fs::create_directories(dir);
    const char *keep = std::getenv("LORAFIT_BENCH_DATA_FILE"); // reuse a file made earlier (for profiling)
    const std::string path = keep ? std::string(keep) : (dir / "chat.jsonl").string();
    const std::uint64_t bytes = keep && fs::exists(path) ? fs::file_size(path) : writeChatFile(path, megabytes << 20);
    const double mb = static_cast<double>(bytes) / (1 << 20);

    DatasetConfig config;
    config.trainPath = path;
    config.maxLength = 2048;
    config.packing = true;
    config.chatTemplate = TemplateKind::ChatML;
    const test::ByteTokenizer byteTokenizer("", "<|im_end|>", false);
    std::unique_ptr<engine::Tokenizer> loaded;
    if (!tokenizerDir.empty()) {
        auto result = engine::loadTokenizer(tokenizerDir);
        if (!result.isOk()) {
            std::fprintf(stderr, "bench_data: %s\n", result.message().c_str());
            return 1;
        }
        loaded = std::move(result.value());
    }
    const engine::Tokenizer &tokenizer = loaded ? *loaded : static_cast<const engine::Tokenizer &>(byteTokenizer);

    const auto start = std::chrono::steady_clock::now();
    std::uint64_t tokens = 0;
    std::int64_t rows = 0;
    int status = 0;
    try {
        if (mode == "loader") {
            auto loader = DataLoader::open(config, tokenizer);
            if (!loader.isOk())
                throw engine::Error(loader.message());
            tokens = loader.value()->stats().trainTokens;
            rows = loader.value()->sequencesPerEpoch();
        } else {
            rows = streamPipeline(config, tokenizer, tokens);
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_data: %s\n", e.what());
        status = 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("bench_data %s: %.1f MB JSONL chat, %llu tokens (%s), %lld packed rows of 2048, %d threads\n",
        mode.c_str(), mb, static_cast<unsigned long long>(tokens), loaded ? tokenizerDir.c_str() : "byte-level",
        static_cast<long long>(rows), mode == "loader" ? engine::threadCount() : 1);
    std::printf(
        "  %.2f s, %.1f MB/s, peak RSS %.0f MB (%.0f MB at start)\n", seconds, mb / seconds, peakRssMb(), baselineRss);
    std::error_code ec;
    fs::remove_all(dir, ec);
    return status;
}

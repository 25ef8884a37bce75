// Encode throughput of Lorafit's tokenizer on one thread.
//   bench_tokenizer <model folder> <text file> [repeats]
// The text is cut into chunks of about 4 KB at line ends (like dataset
// records) and each chunk is encoded in turn; the best of `repeats` runs is
// reported as MB/s (10^6 bytes) with the token count, one line of JSON.
#include "engine/core/atomicfile.h"
#include "engine/tokenizer/tokenizerloader.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::vector<std::string_view> chunksOf(const std::string &text)
{
    std::vector<std::string_view> chunks;
    std::size_t begin = 0;
    while (begin < text.size()) {
        std::size_t end = text.find('\n', std::min(text.size(), begin + 4096));
        end = end == std::string::npos ? text.size() : end + 1;
        chunks.emplace_back(text.data() + begin, end - begin);
        begin = end;
    }
    return chunks;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_tokenizer <model folder> <text file> [repeats]\n");
        return 2;
    }
    const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
    const auto start = std::chrono::steady_clock::now();
    auto loaded = engine::loadTokenizer(argv[1]);
    if (!loaded) {
        std::fprintf(stderr, "%s\n", loaded.message().c_str());
        return 1;
    }
    const double loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string text = engine::readFile(argv[2]);
    const auto chunks = chunksOf(text);
    double best = 1e30;
    std::size_t tokens = 0;
    for (int r = 0; r < repeats; ++r) {
        tokens = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (const std::string_view chunk : chunks)
            tokens += loaded.value()->encode(chunk).size();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("{\"impl\":\"lorafit\",\"bytes\":%zu,\"tokens\":%zu,\"seconds\":%.3f,\"mb_per_s\":%.2f,\"load_seconds\":%.3f}\n",
                text.size(), tokens, best, static_cast<double>(text.size()) / best / 1e6, loadSeconds);
    return 0;
}

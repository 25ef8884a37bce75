// The public tokenizer factories (see tokenizerloader.h): find the files,
// read them, and hand the text to the parsers in tokenizerjson.cpp and
// tokenizerconfig.cpp.
#include "engine/tokenizer/tokenizerloader.h"

#include "engine/core/atomicfile.h"
#include "engine/tokenizer/tokenizerconfig.h"
#include "engine/tokenizer/tokenizerjson.h"

#include <filesystem>

namespace engine {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<tok::HfTokenizer> readFolder(const std::string &folder)
{
    fs::path dir(folder);
    fs::path json = dir / "tokenizer.json";
    if (fs::is_regular_file(dir)) { // a tokenizer.json given directly: its folder holds the configs
        json = dir;
        dir = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
    } else if (!fs::is_directory(dir)) {
        throw Error(folder + ": no such folder (hint: choose the folder that holds the model's tokenizer.json)");
    }
    std::unique_ptr<tok::HfTokenizer> tokenizer;
    if (fs::exists(json)) {
        tokenizer = tok::parseTokenizerJson(readFile(json.string()), json.string());
        tok::deriveSpecialTokens(*tokenizer);
    } else if (fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt")) {
        const std::string vocab = (dir / "vocab.json").string();
        const std::string merges = (dir / "merges.txt").string();
        tokenizer = tok::parseGpt2Files(readFile(vocab), vocab, readFile(merges), merges);
        tok::setGpt2SpecialTokens(*tokenizer);
    } else {
        throw Error(folder + ": no tokenizer.json, and no vocab.json + merges.txt (hint: copy the tokenizer files "
                    "of the model from its Hugging Face repository into this folder; SentencePiece "
                    "tokenizer.model files alone are not supported)");
    }
    const fs::path config = dir / "tokenizer_config.json";
    if (fs::exists(config))
        tok::applyTokenizerConfig(*tokenizer, readFile(config.string()), config.string());
    const fs::path generation = dir / "generation_config.json";
    if (fs::exists(generation))
        tok::applyGenerationConfig(*tokenizer, readFile(generation.string()), generation.string());
    return tokenizer;
}

} // namespace

Result<std::unique_ptr<Tokenizer>> loadTokenizer(const std::string &modelFolder)
{
    return guard([&]() -> std::unique_ptr<Tokenizer> { return readFolder(modelFolder); });
}

Result<std::unique_ptr<Tokenizer>> loadTokenizerFile(const std::string &tokenizerJsonPath)
{
    return guard([&]() -> std::unique_ptr<Tokenizer> {
        auto tokenizer = tok::parseTokenizerJson(readFile(tokenizerJsonPath), tokenizerJsonPath);
        tok::deriveSpecialTokens(*tokenizer);
        return tokenizer;
    });
}

Result<std::unique_ptr<Tokenizer>> loadTokenizerFromJson(std::string_view json, const std::string &sourceName)
{
    return guard([&]() -> std::unique_ptr<Tokenizer> {
        auto tokenizer = tok::parseTokenizerJson(json, sourceName);
        tok::deriveSpecialTokens(*tokenizer);
        return tokenizer;
    });
}

Result<std::unique_ptr<Tokenizer>> loadGpt2Tokenizer(const std::string &vocabJsonPath, const std::string &mergesTxtPath)
{
    return guard([&]() -> std::unique_ptr<Tokenizer> {
        auto tokenizer = tok::parseGpt2Files(readFile(vocabJsonPath), vocabJsonPath, readFile(mergesTxtPath),
                                             mergesTxtPath);
        tok::setGpt2SpecialTokens(*tokenizer);
        return tokenizer;
    });
}

} // namespace engine

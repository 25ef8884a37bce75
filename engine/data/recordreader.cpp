// openRecordReader: picks the reader by extension (or FolderReader); a .json
// file whose first character is '{' is read as JSON Lines.
#include "engine/data/recordreader.h"

#include "engine/data/delimitedreader.h"
#include "engine/data/folderreader.h"
#include "engine/data/jsonarrayreader.h"
#include "engine/data/jsonlreader.h"
#include "engine/data/textreader.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

namespace engine::data {

namespace {

std::string extensionOf(const std::string &path)
{
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

// The first byte after a BOM and whitespace, or -1.
int firstSignificantByte(const std::string &path)
{
    std::FILE *file = std::fopen(path.c_str(), "rb");
    if (!file)
        return -1;
    int c = std::fgetc(file);
    if (c == 0xEF && std::fgetc(file) == 0xBB && std::fgetc(file) == 0xBF)
        c = std::fgetc(file);
    while (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        c = std::fgetc(file);
    std::fclose(file);
    return c;
}

} // namespace

bool isDatasetFile(const std::string &path)
{
    const std::string ext = extensionOf(path);
    return ext == ".jsonl" || ext == ".json" || ext == ".csv" || ext == ".tsv" || ext == ".txt";
}

std::unique_ptr<RecordReader> openRecordReader(const std::string &path, const ReaderOptions &options)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return std::make_unique<FolderReader>(path, options);
    if (!std::filesystem::exists(path, ec))
        throw Error("dataset '" + path + "' does not exist (hint: check the path)");
    const std::string ext = extensionOf(path);
    if (ext == ".jsonl")
        return std::make_unique<JsonlReader>(path, options);
    if (ext == ".json")
        return firstSignificantByte(path) == '{' ? std::unique_ptr<RecordReader>(new JsonlReader(path, options))
                                                 : std::unique_ptr<RecordReader>(new JsonArrayReader(path, options));
    if (ext == ".csv")
        return std::make_unique<DelimitedReader>(path, DelimitedReader::Dialect::Csv, options);
    if (ext == ".tsv")
        return std::make_unique<DelimitedReader>(path, DelimitedReader::Dialect::Tsv, options);
    if (ext == ".txt")
        return std::make_unique<TextReader>(path, options);
    throw Error("dataset file '" + path + "' has an unsupported extension '" + ext
        + "' (hint: Lorafit reads .jsonl, .json, .csv, .tsv and .txt)");
}

} // namespace engine::data

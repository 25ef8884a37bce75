#include "engine/export/exportjob.h"

#include "engine/core/atomicfile.h"
#include "engine/core/jsonreader.h"
#include "engine/export/exporter.h"
#include "engine/export/ollamamodelfile.h"
#include "engine/lora/peftadapter.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace engine {

namespace fs = std::filesystem;

namespace {

bool isModelFolder(const std::string &folder)
{
    std::error_code ec;
    return !folder.empty() && fs::is_regular_file(fs::path(folder) / "config.json", ec);
}

// settings.sections.model.values.path of <checkpoint>/trainer_state.json, or "".
std::string trainerStateModelPath(const std::string &checkpointFolder)
{
    const fs::path path = fs::path(checkpointFolder) / "trainer_state.json";
    if (!fs::exists(path))
        return {};
    const nlohmann::json state = parseJsonObject(readFile(path.string()), path.string());
    const nlohmann::json::json_pointer pointer("/settings/sections/model/values/path");
    if (!state.contains(pointer) || !state[pointer].is_string())
        return {};
    return state[pointer].get<std::string>();
}

// The pieces every format needs, loaded once.
struct LoadedAdapter
{
    std::string baseFolder;
    PeftAdapterInfo info;
    CausalLm model;
    LoraModel lora;
};

// Fails when the adapter names a local base folder whose architecture differs from the chosen base.
void checkBaseMatches(const std::string &declaredBase, const std::string &baseFolder)
{
    if (!isModelFolder(declaredBase))
        return;
    std::error_code ec;
    if (fs::equivalent(declaredBase, baseFolder, ec))
        return;
    const auto declared = readModelConfig(declaredBase), chosen = readModelConfig(baseFolder);
    if (!declared || !chosen)
        return;
    const ModelConfig &a = declared.value(), &b = chosen.value();
    if (a.modelType != b.modelType || a.hiddenSize != b.hiddenSize || a.numLayers != b.numLayers
        || a.vocabSize != b.vocabSize || a.intermediateSize != b.intermediateSize || a.numKvHeads != b.numKvHeads)
        throw Error("base model mismatch: the adapter was trained on '" + declaredBase + "' (" + a.modelType + ", "
                    + std::to_string(a.numLayers) + " layers, width " + std::to_string(a.hiddenSize)
                    + ") but the chosen base '" + baseFolder + "' is " + b.modelType + ", "
                    + std::to_string(b.numLayers) + " layers, width " + std::to_string(b.hiddenSize)
                    + " (hint: choose the base model the adapter was trained on)");
}

LoadedAdapter loadAdapter(const ExportRequest &request)
{
    Result<std::string> base = resolveBaseModelFolder(request.checkpointFolder, request.baseModelFolder);
    if (!base)
        throw Error(base.message());
    PeftAdapterInfo info;
    if (Result<LoraConfig> config = readPeftAdapterConfig(request.checkpointFolder, &info); !config)
        throw Error(config.message());
    checkBaseMatches(info.baseModel, base.value());
    CausalLm model = loadCausalLm(base.value());
    LoraModel lora = [&] {
        try {
            return loadPeftAdapter(request.checkpointFolder, model);
        } catch (const Error &e) {
            throw Error(std::string(e.what()) + " [base model: '" + base.value() + "']");
        }
    }();
    info.modelType = model.config().modelType;
    if (!request.baseModelName.empty())
        info.baseModel = request.baseModelName;
    else if (info.baseModel.empty())
        info.baseModel = fs::absolute(base.value()).lexically_normal().string();
    return {base.value(), info, std::move(model), std::move(lora)};
}

std::vector<const Exporter *> chosenExporters(const ExportRequest &request)
{
    if (request.formats.empty())
        throw Error("no export format chosen (hint: pick one or more of peft, merged, gguf, gguf-model)");
    std::vector<const Exporter *> chosen;
    for (const std::string &id : request.formats) {
        const Exporter *exporter = findExporter(id);
        if (!exporter)
            throw Error("unknown export format '" + id + "' (hint: use peft, merged, gguf or gguf-model)");
        if (std::find(chosen.begin(), chosen.end(), exporter) == chosen.end())
            chosen.push_back(exporter);
    }
    // Merging changes the base weights while it runs; let it go last.
    std::stable_partition(chosen.begin(), chosen.end(), [](const Exporter *e) { return e->info().id != "merged"; });
    return chosen;
}


ExportContext contextFor(const Exporter &exporter, LoadedAdapter &loaded, const ExportRequest &request)
{
    ExportContext context{loaded.model, loaded.lora, loaded.baseFolder, loaded.info, TensorDtype::F32, request,
                          [](double, const std::string &) {}};
    context.dtype = request.dtype ? *request.dtype : exporter.defaultDtype(context);
    return context;
}

std::uint64_t freeBytes(const std::string &folder)
{
    fs::path existing = fs::absolute(folder);
    while (!existing.empty() && !fs::exists(existing) && existing != existing.parent_path())
        existing = existing.parent_path();
    std::error_code ec;
    const fs::space_info space = fs::space(existing, ec);
    return ec ? UINT64_MAX : space.available;
}

bool isNonEmptyFolder(const std::string &folder)
{
    std::error_code ec;
    return fs::is_directory(folder, ec) && !fs::is_empty(folder, ec);
}

// Every check before slow work; one message per problem.
std::vector<std::string> problemsOf(const ExportRequest &request, LoadedAdapter &loaded,
                                    const std::vector<const Exporter *> &exporters, std::vector<std::string> *warnings)
{
    std::vector<std::string> problems;
    std::uint64_t needed = 0;
    for (const Exporter *exporter : exporters) {
        const ExportContext context = contextFor(*exporter, loaded, request);
        const ExportFormatInfo info = exporter->info();
        if (std::find(info.dtypes.begin(), info.dtypes.end(), context.dtype) == info.dtypes.end()) {
            std::string allowed;
            for (TensorDtype d : info.dtypes)
                allowed += (allowed.empty() ? "" : ", ") + std::string(tensorDtypeName(d));
            problems.push_back(info.name + " cannot store " + tensorDtypeName(context.dtype) + " tensors (hint: use "
                               + allowed + ")");
            continue;
        }
        for (const std::string &problem : exporter->preflight(context))
            problems.push_back(problem);
        if (warnings)
            for (const std::string &warning : exporter->warnings(context))
                warnings->push_back(warning);
        const std::string folder = exportFolder(request, exporter->info().id);
        if (isNonEmptyFolder(folder) && !request.overwrite)
            problems.push_back("the destination '" + folder + "' is not empty (hint: choose an empty folder, or "
                               "allow overwriting)");
        needed += exporter->estimatedBytes(context);
    }
    if (request.outDir.empty())
        problems.push_back("no destination folder given (hint: choose where to write the export)");
    else if (const std::uint64_t free = freeBytes(request.outDir); free < needed)
        problems.push_back("not enough disk space in '" + request.outDir + "': the export needs about "
                           + std::to_string(needed / (1024 * 1024)) + " MiB, " + std::to_string(free / (1024 * 1024))
                           + " MiB are free (hint: choose another destination or free some space)");
    return problems;
}

std::string joinLines(const std::vector<std::string> &lines)
{
    std::string text;
    for (const std::string &line : lines)
        text += (text.empty() ? "" : "\n") + line;
    return text;
}

std::set<std::string> filesIn(const std::string &folder)
{
    std::set<std::string> files;
    std::error_code ec;
    if (fs::is_directory(folder, ec))
        for (const auto &entry : fs::recursive_directory_iterator(folder, ec))
            if (entry.is_regular_file())
                files.insert(entry.path().string());
    return files;
}

// Removes what this run added to `folder` (a failed or cancelled export leaves nothing behind).
void removeNewFiles(const std::string &folder, const std::set<std::string> &before)
{
    std::error_code ec;
    for (const std::string &file : filesIn(folder))
        if (!before.count(file))
            fs::remove(file, ec);
}

} // namespace

std::vector<ExportFormatInfo> exportFormats()
{
    std::vector<ExportFormatInfo> formats;
    for (const auto &exporter : allExporters())
        formats.push_back(exporter->info());
    return formats;
}

std::string exportFolder(const ExportRequest &request, const std::string &formatId)
{
    std::vector<std::string> distinct;
    for (const std::string &id : request.formats)
        if (std::find(distinct.begin(), distinct.end(), id) == distinct.end())
            distinct.push_back(id);
    return distinct.size() == 1 ? request.outDir : (fs::path(request.outDir) / formatId).string();
}

Result<std::string> resolveBaseModelFolder(const std::string &checkpointFolder, const std::string &override)
{
    return guard([&]() -> std::string {
        if (!override.empty()) {
            if (!isModelFolder(override))
                throw Error("base model folder '" + override + "' has no config.json (hint: choose a Hugging Face "
                            "model folder)");
            return override;
        }
        PeftAdapterInfo info;
        if (Result<LoraConfig> config = readPeftAdapterConfig(checkpointFolder, &info); !config)
            throw Error(config.message());
        if (isModelFolder(info.baseModel))
            return info.baseModel;
        const std::string fromSettings = trainerStateModelPath(checkpointFolder);
        if (isModelFolder(fromSettings))
            return fromSettings;
        throw Error("cannot find the base model of '" + checkpointFolder + "': adapter_config.json names '"
                    + info.baseModel + "'" + (fromSettings.empty() ? "" : " and trainer_state.json names '"
                    + fromSettings + "'") + ", and neither is a local model folder (hint: pass the base model folder "
                    "with --model DIR)");
    });
}

Status preflightExport(const ExportRequest &request)
{
    return guard([&] {
        const auto exporters = chosenExporters(request);
        LoadedAdapter loaded = loadAdapter(request);
        const auto problems = problemsOf(request, loaded, exporters, nullptr);
        if (!problems.empty())
            throw Error(joinLines(problems));
    });
}

Result<ExportSummary> runExport(const ExportRequest &request, const ExportProgressFn &progress,
                                const std::atomic<bool> *cancel)
{
    std::set<std::string> before;
    bool writing = false; // files exist only from here on: clean up only then
    auto report = [&](const std::string &format, const std::string &stage, double fraction) {
        const bool goOn = !progress || progress({format, stage, fraction});
        if (!goOn || (cancel && cancel->load()))
            throw ExportCancelled();
    };
    ExportSummary summary;
    Status status = guard([&] {
        try {
            const auto exporters = chosenExporters(request);
            report("", "loading base model and adapter", 0.0);
            LoadedAdapter loaded = loadAdapter(request);
            summary.baseModelFolder = loaded.baseFolder;
            const auto problems = problemsOf(request, loaded, exporters, &summary.warnings);
            if (!problems.empty())
                throw Error(joinLines(problems));
            before = filesIn(request.outDir);
            writing = true;
            for (std::size_t i = 0; i < exporters.size(); ++i) {
                const Exporter &exporter = *exporters[i];
                ExportContext context = contextFor(exporter, loaded, request);
                const std::string id = exporter.info().id;
                context.progress = [&, i, id](double f, const std::string &stage) {
                    report(id, stage, 0.1 + 0.9 * (static_cast<double>(i) + f) / exporters.size());
                };
                const std::string folder = exportFolder(request, exporter.info().id);
                fs::create_directories(folder);
                for (const std::string &path : exporter.write(context, folder)) {
                    summary.files.push_back({path, fs::file_size(path), context.dtype});
                    if (fs::path(path).filename() == "Modelfile")
                        summary.nextSteps.push_back(ollamaCreateCommand(path));
                }
            }
            report("", "done", 1.0);
        } catch (const ExportCancelled &) {
            if (writing)
                removeNewFiles(request.outDir, before);
            summary.cancelled = true;
            summary.files.clear();
        } catch (...) {
            if (writing)
                removeNewFiles(request.outDir, before);
            throw;
        }
    });
    if (!status)
        return status;
    return summary;
}

} // namespace engine

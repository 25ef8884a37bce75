// Exporting a trained adapter (a checkpoint or any PEFT folder) in one or
// more formats: the Torch-free facade the export dialog and `lorafit-cli
// export` call. It resolves the base model, loads base and adapter once, runs
// every format's pre-flight checks (base mismatch, missing eos or chat
// template, options a format cannot carry, disk space) before slow work, then
// writes each format with progress and cancel. Verification of the written
// files is separate (adapterverifier.h). Runs on the caller's thread.
#pragma once

#include "engine/core/status.h"
#include "engine/export/exportformat.h"
#include "engine/io/tensordtype.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace engine {

// Inputs of the README.md model card written next to a PEFT adapter.
struct ModelCardInputs
{
    std::string title;       // heading; empty: "<base name> LoRA adapter"
    std::string data;        // the training data, e.g. "alpaca.jsonl, 5,000 examples"
    std::vector<std::pair<std::string, std::string>> settings; // (setting, value) rows, e.g. ("rank", "16")
    std::vector<std::pair<std::string, std::string>> metrics;  // (metric, value) rows, e.g. ("eval loss", "1.234")
};

struct ExportRequest
{
    std::string checkpointFolder;   // a PEFT adapter folder (Lorafit checkpoint or another tool's)
    std::string baseModelFolder;    // the base model; empty: from adapter_config.json or trainer_state.json
    std::vector<std::string> formats; // ExportFormatInfo::id values, e.g. {"peft", "gguf"}
    std::optional<TensorDtype> dtype; // empty: each format's default (peft f32, merged the base's, gguf f32)
    std::string outDir;             // one format: written here; several: into outDir/<format id>
    bool overwrite = false;         // allow a non-empty destination (stale weight files are removed)
    ModelCardInputs card;           // README.md of the PEFT export
    std::string baseModelName;      // base_model_name_or_path to write; empty: the base folder path
    bool conversational = false;    // trained on chat data: the base (or chatTemplate) must have a template
    std::string chatTemplate;       // Jinja text written into a merged model that lacks one; empty: none
    std::uint64_t maxShardBytes = 5'000'000'000ULL; // merged model: larger weights are sharded with an index
    bool mergeAdapter = true;       // GGUF model: the adapter merged in; false: the base model alone
    std::string systemPrompt;       // GGUF model's Modelfile: the system prompt used in training; empty: none
};

struct ExportedFile
{
    std::string path;
    std::uint64_t bytes = 0;
    TensorDtype dtype = TensorDtype::F32; // of the tensors the format wrote (its default or the request's)
};

struct ExportSummary
{
    bool cancelled = false; // true: stopped on request; files written so far were removed
    std::string baseModelFolder; // the base model that was used
    std::vector<ExportedFile> files; // every file written, in order
    std::vector<std::string> warnings; // did not stop the export (e.g. "vLLM ignores DoRA")
    std::vector<std::string> nextSteps; // commands to run with the files, e.g. "ollama create NAME -f Modelfile"
};

struct ExportProgress
{
    std::string format; // the format being written ("" while loading)
    std::string stage;  // e.g. "loading base model", "merging", "writing shard 2 of 3"
    double fraction = 0.0; // of the whole job, 0..1
};

// Returns false to cancel. Called on the exporting thread.
using ExportProgressFn = std::function<bool(const ExportProgress &)>;

// The formats, in the order to list them.
std::vector<ExportFormatInfo> exportFormats();

// Where `request` writes format `formatId`: outDir itself when one distinct
// format is chosen, else outDir/<format id>.
std::string exportFolder(const ExportRequest &request, const std::string &formatId);

// Resolves the base model folder of a checkpoint or adapter folder: the
// override if given, else adapter_config.json's base_model_name_or_path when
// it is a local folder with a config.json, else trainer_state.json's
// settings.sections.model.values.path. The error says what was tried.
Result<std::string> resolveBaseModelFolder(const std::string &checkpointFolder, const std::string &override = {});

// Loads base and adapter and runs all pre-flight checks without writing
// anything: the returned Status lists every problem found (one per line).
Status preflightExport(const ExportRequest &request);

// Runs the export. A failure leaves no half-written file (files are written
// atomically; on failure or cancel the files of this run are removed).
// `cancel` may be null; progress may be empty.
Result<ExportSummary> runExport(const ExportRequest &request, const ExportProgressFn &progress = {},
                                const std::atomic<bool> *cancel = nullptr);

} // namespace engine

// Internal (Torch): the one interface every export format implements (tiled's
// MapFormat idea). The job (exportjob.cpp) loads the base model and the
// adapter once, runs each exporter's pre-flight checks before any slow work,
// then lets each write into its own folder. An exporter never branches on
// another format and never touches the UI.
#pragma once

#include "engine/export/exportformat.h"
#include "engine/export/exportjob.h"
#include "engine/lora/loramodel.h"
#include "engine/lora/peftconfig.h"
#include "engine/model/causallm.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace engine {

// Thrown when the progress callback asks to stop; the job turns it into a
// cancelled outcome and removes the files written so far.
class ExportCancelled : public std::exception
{
public:
    const char *what() const noexcept override { return "export cancelled"; }
};

// Everything an exporter reads. The adapter is attached to the model, unmerged.
struct ExportContext
{
    const CausalLm &model;
    LoraModel &lora;
    std::string baseFolder;     // the base model's Hugging Face folder
    PeftAdapterInfo adapterInfo; // base name written into adapter_config.json, model type
    TensorDtype dtype;          // chosen by the job (request or the format's default)
    const ExportRequest &request;
    // Reports the fraction done (0..1) of this format with a stage label;
    // throws ExportCancelled when the user cancelled.
    std::function<void(double, const std::string &)> progress;
};

class Exporter
{
public:
    virtual ~Exporter() = default;
    virtual ExportFormatInfo info() const = 0;
    // The default tensor type when the request names none.
    virtual TensorDtype defaultDtype(const ExportContext &context) const { (void)context; return info().dtypes.front(); }
    // Problems that would make the export fail or load wrong elsewhere, found
    // before writing anything: each a message naming the object, with a hint.
    virtual std::vector<std::string> preflight(const ExportContext &context) const = 0;
    // Warnings that do not stop the export (e.g. loaders that ignore an option).
    virtual std::vector<std::string> warnings(const ExportContext &context) const { (void)context; return {}; }
    // Bytes the export will write (for the disk space check).
    virtual std::uint64_t estimatedBytes(const ExportContext &context) const = 0;
    // Writes into `folder` (created by the job); returns the paths written.
    // Throws engine::Error or ExportCancelled.
    virtual std::vector<std::string> write(const ExportContext &context, const std::string &folder) const = 0;
};

// Every exporter, in the order the UI lists them.
const std::vector<std::unique_ptr<Exporter>> &allExporters();
// The exporter with `id`, or nullptr.
const Exporter *findExporter(const std::string &id);

} // namespace engine

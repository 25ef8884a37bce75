#include "engine/export/exporter.h"

#include "engine/export/ggufexporter.h"
#include "engine/export/ggufmodelexporter.h"
#include "engine/export/mergedexporter.h"
#include "engine/export/peftexporter.h"

namespace engine {

const std::vector<std::unique_ptr<Exporter>> &allExporters()
{
    static const std::vector<std::unique_ptr<Exporter>> exporters = [] {
        std::vector<std::unique_ptr<Exporter>> list;
        list.push_back(std::make_unique<PeftExporter>());
        list.push_back(std::make_unique<MergedExporter>());
        list.push_back(std::make_unique<GgufExporter>());
        list.push_back(std::make_unique<GgufModelExporter>());
        return list;
    }();
    return exporters;
}

const Exporter *findExporter(const std::string &id)
{
    for (const auto &exporter : allExporters())
        if (exporter->info().id == id)
            return exporter.get();
    return nullptr;
}

} // namespace engine

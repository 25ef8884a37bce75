// The public face of a project: every call runs the Impl method inside guard(),
// so engine::Error becomes a Status or Result with the message for people.
#include "engine/project/projectstore.h"

#include "engine/project/projectschema.h"
#include "engine/project/projectsettings.h"
#include "engine/project/projectstoreimpl.h"

namespace engine {

ProjectStore::ProjectStore(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{ }
ProjectStore::ProjectStore(ProjectStore &&) noexcept = default;
ProjectStore &ProjectStore::operator=(ProjectStore &&) noexcept = default;
ProjectStore::~ProjectStore() = default;

Result<ProjectStore> ProjectStore::create(const std::string &path)
{
    return guard([&] {
        createProjectFile(path);
        return ProjectStore(Impl::open(path, OpenMode::ReadWrite));
    });
}

Result<ProjectStore> ProjectStore::open(const std::string &path, OpenMode mode)
{
    return guard([&] { return ProjectStore(Impl::open(path, mode)); });
}

const std::string &ProjectStore::path() const
{
    return m_impl->m_path;
}
const std::string &ProjectStore::folder() const
{
    return m_impl->m_folder;
}
bool ProjectStore::isReadOnly() const
{
    return !m_impl->m_lock;
}
const std::string &ProjectStore::readOnlyReason() const
{
    return m_impl->m_readOnlyReason;
}
const std::vector<std::int64_t> &ProjectStore::interruptedOnOpen() const
{
    return m_impl->m_interruptedOnOpen;
}

Result<std::vector<SettingsSection>> ProjectStore::settings() const
{
    return guard([&] { return m_impl->settings(); });
}

Result<std::optional<SettingsSection>> ProjectStore::settingsSection(const std::string &name) const
{
    return guard([&]() -> std::optional<SettingsSection> {
        for (SettingsSection &section : m_impl->settings())
            if (section.name == name)
                return std::move(section);
        return std::nullopt;
    });
}

Status ProjectStore::setSettingsSection(const SettingsSection &section)
{
    return guard([&] { m_impl->setSettingsSections({ section }); });
}

Result<std::string> ProjectStore::exportSettingsJson() const
{
    return guard([&] { return settingsDocument(m_impl->settings()); });
}

Status ProjectStore::importSettingsJson(const std::string &json, const std::string &sourceName)
{
    return guard([&] { m_impl->setSettingsSections(parseSettingsDocument(json, sourceName)); });
}

Result<std::int64_t> ProjectStore::createRun(const RunSpec &spec)
{
    return guard([&] { return m_impl->createRun(spec); });
}

Status ProjectStore::appendMetrics(std::int64_t runId, const std::vector<StepRecord> &batch)
{
    return guard([&] { m_impl->appendMetrics(runId, batch); });
}

Status ProjectStore::addEvalResult(std::int64_t runId, const EvalResult &result)
{
    return guard([&] { m_impl->addEvalResult(runId, result); });
}

Status ProjectStore::addCheckpoint(std::int64_t runId, const CheckpointInfo &checkpoint)
{
    return guard([&] { m_impl->addCheckpoint(runId, checkpoint); });
}

Status ProjectStore::finishRun(std::int64_t runId, RunStatus status, const std::string &finalMetricsJson)
{
    return guard([&] { m_impl->finishRun(runId, status, finalMetricsJson); });
}

Status ProjectStore::resumeRun(std::int64_t runId)
{
    return guard([&] { m_impl->resumeRun(runId); });
}

Status ProjectStore::renameRun(std::int64_t runId, const std::string &name)
{
    return guard([&] { m_impl->renameRun(runId, name); });
}

Status ProjectStore::setRunNotes(std::int64_t runId, const std::string &notes)
{
    return guard([&] { m_impl->setRunNotes(runId, notes); });
}

Status ProjectStore::deleteRun(std::int64_t runId)
{
    return guard([&] { m_impl->deleteRun(runId); });
}

Result<std::int64_t> ProjectStore::addExport(const ExportInfo &info)
{
    return guard([&] { return m_impl->addExport(info); });
}

Result<std::vector<RunInfo>> ProjectStore::runs() const
{
    return guard([&] { return m_impl->runs(std::nullopt); });
}

Result<RunInfo> ProjectStore::run(std::int64_t runId) const
{
    return guard([&] { return m_impl->run(runId); });
}

Result<std::vector<std::string>> ProjectStore::matrixNames(std::int64_t runId) const
{
    return guard([&] { return m_impl->matrixNames(runId); });
}

Result<std::vector<std::string>> ProjectStore::scalarNames(std::int64_t runId) const
{
    return guard([&] {
        m_impl->run(runId);
        return m_impl->m_metrics->scalarNames(runId);
    });
}

Result<std::vector<std::string>> ProjectStore::matrixKinds(std::int64_t runId) const
{
    return guard([&] {
        m_impl->run(runId);
        return m_impl->m_metrics->matrixKinds(runId);
    });
}

Result<ScalarSeries> ProjectStore::scalarSeries(
    std::int64_t runId, const std::string &name, std::int64_t fromStep) const
{
    return guard([&] {
        m_impl->run(runId);
        return m_impl->m_metrics->scalarSeries(runId, name, fromStep);
    });
}

Result<MatrixSeries> ProjectStore::matrixSeries(
    std::int64_t runId, const std::string &kind, std::optional<int> matrixIndex, std::int64_t fromStep) const
{
    return guard([&] {
        const RunInfo run = m_impl->run(runId);
        return m_impl->m_metrics->matrixSeries(runId, kind, run.matrixCount, matrixIndex, fromStep);
    });
}

Result<std::vector<EvalResult>> ProjectStore::evalResults(std::int64_t runId) const
{
    return guard([&] { return m_impl->evalResults(runId); });
}

Result<std::vector<CheckpointInfo>> ProjectStore::checkpoints(std::int64_t runId) const
{
    return guard([&] { return m_impl->checkpoints(runId); });
}

Result<std::optional<CheckpointInfo>> ProjectStore::lastCheckpoint(std::int64_t runId) const
{
    return guard([&]() -> std::optional<CheckpointInfo> {
        std::vector<CheckpointInfo> all = m_impl->checkpoints(runId);
        if (all.empty())
            return std::nullopt;
        return std::move(all.back());
    });
}

Result<std::vector<ExportInfo>> ProjectStore::exports() const
{
    return guard([&] { return m_impl->exports(); });
}

} // namespace engine

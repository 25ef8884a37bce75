#include "app/projectdocument.h"

#include "app/qtstrings.h"

#include "engine/train/runrecorder.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSettings>

namespace app {

namespace {

using app::fromStd;

const QString kRecentKey = QStringLiteral("project/recent");
constexpr int kRecentLimit = 8;

bool hasModelSection(engine::ProjectStore &store)
{
    const auto section = store.settingsSection("model");
    return section.isOk() && section.value().has_value();
}

} // namespace

ProjectDocument::ProjectDocument(QObject *parent) : QObject(parent)
{
    m_savedDocument = m_settings.toDocument();
}

ProjectDocument::~ProjectDocument() = default;

void ProjectDocument::newProject()
{
    m_store.reset();
    m_settings = engine::RunSettings{};
    m_savedDocument = m_settings.toDocument();
    setDirty(false);
    Q_EMIT projectChanged();
    Q_EMIT settingsChanged();
}

QString ProjectDocument::open(const QString &path)
{
    auto store = engine::ProjectStore::open(QFileInfo(path).absoluteFilePath().toStdString());
    if (!store)
        return fromStd(store.message());
    return adoptStore(std::move(store).value());
}

QString ProjectDocument::adoptStore(engine::ProjectStore store)
{
    QString warning;
    engine::RunSettings settings;
    if (hasModelSection(store)) {
        const auto document = store.exportSettingsJson();
        auto parsed = document ? engine::RunSettings::fromDocument(document.value(), store.path(), store.folder())
                               : engine::Result<engine::RunSettings>(document.status());
        if (parsed)
            settings = std::move(parsed).value();
        else
            warning = tr("The project's settings could not be read; defaults are shown: %1").arg(fromStd(parsed.message()));
    }
    m_store = std::make_unique<engine::ProjectStore>(std::move(store));
    m_settings = settings;
    m_savedDocument = m_settings.toDocument();
    rememberRecent(filePath());
    setDirty(false);
    Q_EMIT projectChanged();
    Q_EMIT settingsChanged();
    Q_EMIT runsChanged();
    return warning;
}

QString ProjectDocument::save()
{
    if (!m_store)
        return tr("The project has no file yet: use Save As.");
    if (m_store->isReadOnly())
        return tr("The project is read-only: %1").arg(fromStd(m_store->readOnlyReason()));
    const std::string document = m_settings.toDocument();
    const engine::Status status = m_store->importSettingsJson(document, m_store->path());
    if (!status)
        return fromStd(status.message());
    m_savedDocument = document;
    setDirty(false);
    return {};
}

QString ProjectDocument::saveAs(const QString &path)
{
    const QString target = QFileInfo(path).absoluteFilePath();
    if (m_store && QFileInfo(filePath()) == QFileInfo(target))
        return save();
    if (QFileInfo::exists(target) && !QFile::remove(target))
        return tr("Cannot replace '%1'.").arg(target);
    if (m_store) {
        const QString source = filePath();
        m_store.reset(); // closes the file so the copy is complete
        if (!QFile::copy(source, target)) {
            const QString reopen = open(source);
            return tr("Cannot copy the project to '%1'.").arg(target) + (reopen.isEmpty() ? QString() : QLatin1Char(' ') + reopen);
        }
        QFile(target).setPermissions(QFile(source).permissions() | QFileDevice::WriteOwner);
        auto store = engine::ProjectStore::open(target.toStdString());
        if (!store)
            return fromStd(store.message());
        const engine::RunSettings edited = m_settings;
        adoptStore(std::move(store).value());
        m_settings = edited;
    } else {
        auto store = engine::ProjectStore::create(target.toStdString());
        if (!store)
            return fromStd(store.message());
        const engine::RunSettings edited = m_settings;
        adoptStore(std::move(store).value());
        m_settings = edited;
    }
    const QString error = save();
    Q_EMIT settingsChanged();
    return error;
}

bool ProjectDocument::isReadOnly() const { return m_store && m_store->isReadOnly(); }

QString ProjectDocument::filePath() const { return m_store ? fromStd(m_store->path()) : QString(); }

QString ProjectDocument::displayName() const
{
    return m_store ? QFileInfo(filePath()).fileName() : tr("Untitled");
}

QString ProjectDocument::runsFolder() const
{
    return m_store ? fromStd(engine::runsFolderOf(m_store->path())) : QString();
}

void ProjectDocument::setSettings(const engine::RunSettings &settings)
{
    m_settings = settings;
    setDirty(m_settings.toDocument() != m_savedDocument);
    Q_EMIT settingsChanged();
}

void ProjectDocument::notifyRunsChanged() { Q_EMIT runsChanged(); }

void ProjectDocument::setDirty(bool dirty)
{
    if (dirty == m_dirty)
        return;
    m_dirty = dirty;
    Q_EMIT dirtyChanged(dirty);
}

QStringList ProjectDocument::recentProjects()
{
    QStringList existing;
    for (const QString &path : QSettings().value(kRecentKey).toStringList())
        if (QFileInfo::exists(path))
            existing << path;
    return existing;
}

void ProjectDocument::forgetRecentProject(const QString &path)
{
    QSettings settings;
    QStringList list = settings.value(kRecentKey).toStringList();
    list.removeAll(path);
    settings.setValue(kRecentKey, list);
}

void ProjectDocument::rememberRecent(const QString &path)
{
    QSettings settings;
    QStringList list = settings.value(kRecentKey).toStringList();
    list.removeAll(path);
    list.prepend(path);
    while (list.size() > kRecentLimit)
        list.removeLast();
    settings.setValue(kRecentKey, list);
}

} // namespace app

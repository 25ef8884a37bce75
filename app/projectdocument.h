// ProjectDocument: the project open in the app — its ProjectStore (SQLite
// file), the current RunSettings being edited, whether they differ from what
// the file holds, and the list of recently used projects (QSettings). A new
// project is untitled (no file) until it is saved. Lives on the main thread;
// panels read and edit settings through it and observe its signals.
// It does not train (see TrainingSession).
#pragma once

#include "engine/project/projectstore.h"
#include "engine/train/runsettings.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace app {

class ProjectDocument : public QObject
{
    Q_OBJECT

public:
    explicit ProjectDocument(QObject *parent = nullptr);
    ~ProjectDocument() override;

    // An untitled project with default settings (closes the current one).
    void newProject();
    // Opens a .lorafit file. Returns an empty string, or the engine's message.
    QString open(const QString &path);
    // Writes the settings into the file. Untitled projects need saveAs().
    QString save();
    // Saves the project (runs included) under a new name and continues there.
    QString saveAs(const QString &path);

    bool isUntitled() const { return !m_store; }
    bool isDirty() const { return m_dirty; }
    bool isReadOnly() const;
    QString filePath() const;     // empty when untitled
    QString displayName() const;  // "name.lorafit" or "Untitled"
    QString runsFolder() const;   // <folder>/<name>.runs, empty when untitled

    const engine::RunSettings &settings() const { return m_settings; }
    // Replaces the edited settings; marks the project dirty when they changed.
    void setSettings(const engine::RunSettings &settings);

    // The open store, or nullptr when untitled. Main thread only.
    engine::ProjectStore *store() { return m_store.get(); }

    // Tells observers that runs were added, changed or deleted.
    void notifyRunsChanged();

    static QStringList recentProjects();
    static void forgetRecentProject(const QString &path);

Q_SIGNALS:
    void projectChanged();   // another project (or none) is open: re-read everything
    void settingsChanged();  // the edited settings changed
    void dirtyChanged(bool dirty);
    void runsChanged();

private:
    void setDirty(bool dirty);
    QString adoptStore(engine::ProjectStore store);
    static void rememberRecent(const QString &path);

    std::unique_ptr<engine::ProjectStore> m_store;
    engine::RunSettings m_settings;
    std::string m_savedDocument; // settings document as last saved/loaded
    bool m_dirty = false;
};

} // namespace app

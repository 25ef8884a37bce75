// ProjectActions: the File menu's project commands — New, Open, Open Recent,
// Save, Save As — with their shortcuts, file dialogs, the prompt before
// unsaved changes are lost, and errors shown as messages. Works on a
// ProjectDocument; refuses to switch projects while a run trains.
#pragma once

#include <QObject>

class QAction;
class QMenu;
class QWidget;

namespace app {
class ProjectDocument;
class TrainingSession;
}

namespace ui {

class ProjectActions : public QObject
{
    Q_OBJECT

public:
    ProjectActions(app::ProjectDocument *document, app::TrainingSession *session, QWidget *window);

    // Adds the actions and the recent-projects submenu to `menu`.
    void addTo(QMenu *menu);

    void newProject();
    bool openProject(const QString &path); // false if cancelled or failed (message shown)
    void open();                          // with a file dialog
    bool save();                          // Save As for untitled projects
    bool saveAs();
    // Asks to save unsaved changes: true when it is fine to go on (saved or discarded).
    bool maybeSave();

Q_SIGNALS:
    void message(const QString &text);

private:
    bool canSwitch();
    void fillRecentMenu();
    void showError(const QString &title, const QString &error);

    app::ProjectDocument *m_document;
    app::TrainingSession *m_session;
    QWidget *m_window;
    QMenu *m_recent = nullptr;
};

} // namespace ui

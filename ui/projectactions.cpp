#include "ui/projectactions.h"

#include "app/projectdocument.h"
#include "app/trainingsession.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QStandardPaths>

namespace ui {

namespace {

const QString kFilter = QObject::tr("Lorafit projects (*.lorafit)");

} // namespace

ProjectActions::ProjectActions(app::ProjectDocument *document, app::TrainingSession *session, QWidget *window)
    : QObject(window), m_document(document), m_session(session), m_window(window)
{
}

void ProjectActions::addTo(QMenu *menu)
{
    QAction *newAction = menu->addAction(QIcon::fromTheme(QStringLiteral("document-new")), tr("&New Project"), this, &ProjectActions::newProject);
    newAction->setShortcut(QKeySequence::New);
    QAction *openAction = menu->addAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open…"), this, &ProjectActions::open);
    openAction->setShortcut(QKeySequence::Open);
    m_recent = menu->addMenu(tr("Open &Recent"));
    connect(m_recent, &QMenu::aboutToShow, this, &ProjectActions::fillRecentMenu);
    fillRecentMenu();
    menu->addSeparator();
    QAction *saveAction = menu->addAction(QIcon::fromTheme(QStringLiteral("document-save")), tr("&Save"), this, &ProjectActions::save);
    saveAction->setShortcut(QKeySequence::Save);
    QAction *saveAsAction = menu->addAction(tr("Save &As…"), this, &ProjectActions::saveAs);
    saveAsAction->setShortcut(QKeySequence::SaveAs);
}

void ProjectActions::fillRecentMenu()
{
    m_recent->clear();
    const QStringList recent = app::ProjectDocument::recentProjects();
    for (int i = 0; i < recent.size(); ++i) {
        QAction *action = m_recent->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(recent[i]).fileName()),
                                              this, [this, path = recent[i]] { openProject(path); });
        action->setToolTip(recent[i]);
        action->setStatusTip(recent[i]);
    }
    m_recent->setEnabled(!recent.isEmpty());
}

bool ProjectActions::canSwitch()
{
    if (m_session->isActive()) {
        QMessageBox::information(m_window, tr("Training in progress"),
                                 tr("Stop the run before switching projects; its metrics are being written to this one."));
        return false;
    }
    return maybeSave();
}

void ProjectActions::newProject()
{
    if (canSwitch())
        m_document->newProject();
}

void ProjectActions::open()
{
    if (!canSwitch())
        return;
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path = QFileDialog::getOpenFileName(m_window, tr("Open Project"), folder, kFilter);
    if (!path.isEmpty())
        openProject(path);
}

bool ProjectActions::openProject(const QString &path)
{
    if (!m_document->isUntitled() && QFileInfo(m_document->filePath()) == QFileInfo(path))
        return true; // already open
    if (!m_session->isActive() && m_document->isDirty() && !maybeSave())
        return false;
    if (m_session->isActive()) {
        canSwitch();
        return false;
    }
    const QString error = m_document->open(path);
    if (m_document->filePath() != QFileInfo(path).absoluteFilePath()) {
        app::ProjectDocument::forgetRecentProject(path);
        showError(tr("Open Project"), error);
        return false;
    }
    if (!error.isEmpty())
        Q_EMIT message(error); // opened, with a warning
    if (m_document->isReadOnly())
        Q_EMIT message(tr("Opened read-only: %1").arg(QString::fromStdString(m_document->store()->readOnlyReason())));
    Q_EMIT message(tr("Opened %1").arg(path));
    return true;
}

bool ProjectActions::save()
{
    if (m_document->isUntitled())
        return saveAs();
    const QString error = m_document->save();
    showError(tr("Save Project"), error);
    return error.isEmpty();
}

bool ProjectActions::saveAs()
{
    if (m_session->isActive()) {
        canSwitch();
        return false;
    }
    const QString folder = m_document->isUntitled() ? QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation)
                                                    : QFileInfo(m_document->filePath()).absolutePath();
    QString path = QFileDialog::getSaveFileName(m_window, tr("Save Project As"), folder + QStringLiteral("/project.lorafit"), kFilter);
    if (path.isEmpty())
        return false;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".lorafit");
    const QString error = m_document->saveAs(path);
    showError(tr("Save Project"), error);
    if (error.isEmpty())
        Q_EMIT message(tr("Saved %1").arg(path));
    return error.isEmpty();
}

bool ProjectActions::maybeSave()
{
    if (!m_document->isDirty())
        return true;
    const auto answer = QMessageBox::warning(m_window, tr("Unsaved Changes"),
                                             tr("The settings of %1 have changed. Save them?").arg(m_document->displayName()),
                                             QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Save)
        return save();
    return answer == QMessageBox::Discard;
}

void ProjectActions::showError(const QString &title, const QString &error)
{
    if (error.isEmpty())
        return;
    Q_EMIT message(error);
    QMessageBox::warning(m_window, title, error);
}

} // namespace ui

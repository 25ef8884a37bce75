// ExportDialog: exports a run's checkpoint from the open project in one or
// more formats (listed from the export engine; the dialog never branches on a
// format), with a dtype and a destination. The work runs on a worker thread
// with progress and Cancel; the summary lists the files with their sizes and
// the verification: every written export is loaded back and its loss on N
// examples must match the checkpoint's before the dialog reports success.
// A successful export is recorded in the project (ProjectStore::addExport).
#pragma once

#include "ui/export/exporttask.h"
#include "ui/export/projectcheckpoints.h"

#include <QDialog>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QThread;

namespace app {
class ProjectDocument;
}

namespace ui {

class ExportDialog : public QDialog
{
    Q_OBJECT

public:
    explicit ExportDialog(app::ProjectDocument *document, QWidget *parent = nullptr);
    ~ExportDialog() override; // cancels a running export and waits for it

    // Offers run `runId`'s best checkpoint (lowest eval loss, else the last).
    void selectRun(qint64 runId);
    int checkpointCount() const { return int(m_checkpoints.size()); }
    const ProjectCheckpoint *selectedCheckpoint() const;
    void setDestination(const QString &folder);
    // Checks exactly the formats with these ids ("peft", "merged", "gguf", "gguf-model").
    void setFormats(const QStringList &ids);
    void setVerifyExamples(int examples);
    void setOverwrite(bool overwrite);

    bool isRunning() const { return m_thread != nullptr; }
    bool succeeded() const { return m_succeeded; }
    QString summaryText() const;

public Q_SLOTS:
    void startExport();
    void cancelExport();
    void reject() override; // Cancel while running, else close

Q_SIGNALS:
    void message(const QString &text); // for the log
    void exportFinished(bool verified);

private:
    void buildForm();
    void fillCheckpoints();
    void fillDtypes();
    void suggestDestination();
    void browse();
    QStringList checkedFormats() const;
    void setRunning(bool running);
    void onProgress(double fraction, const QString &text);
    void onFinished(const ExportTaskResult &result, const engine::ExportRequest &request);
    engine::Result<engine::ExportRequest> buildRequest() const;
    void recordExport(const engine::ExportRequest &request);

    app::ProjectDocument *m_document;
    std::vector<ProjectCheckpoint> m_checkpoints;
    QComboBox *m_checkpoint = nullptr;
    QListWidget *m_formats = nullptr;
    QComboBox *m_dtype = nullptr;
    QLineEdit *m_destination = nullptr;
    QSpinBox *m_verifyExamples = nullptr;
    QCheckBox *m_overwrite = nullptr;
    QCheckBox *m_mergeAdapter = nullptr; // whole-model exports (gguf-model): adapter merged, or the base alone
    QProgressBar *m_progress = nullptr;
    QLabel *m_stage = nullptr;
    QPlainTextEdit *m_summary = nullptr;
    QPushButton *m_export = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QThread *m_thread = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    bool m_succeeded = false;
    bool m_destinationEdited = false;
};

} // namespace ui

// SweepDialog: the Runs page's "Sweep…". The user writes one
// "SECTION.KEY = v1, v2, …" line per setting; the text is checked as typed
// (the problem under the text, its line marked), Start trains the grid one
// run after another with progress per run, and at the end the table shows
// each run's final and best eval loss with the best one marked. It renders
// an app::SweepQueue, which does the work.
#pragma once

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;

namespace app {
class ProjectDocument;
class SweepQueue;
}

namespace ui {

class SweepDialog : public QDialog
{
    Q_OBJECT

public:
    SweepDialog(app::SweepQueue *queue, app::ProjectDocument *document, QWidget *parent = nullptr);

    QPlainTextEdit *editor() const { return m_editor; }
    QLabel *problems() const { return m_problems; }
    QTableWidget *runTable() const { return m_runs; }
    QPushButton *startButton() const { return m_start; }
    QLabel *summary() const { return m_summary; }

private:
    void checkText();
    void markLine(int line);
    void start();
    void fillRows();
    void showResults();
    void onRunStarted(int index);
    void onProgress(int index, qint64 step, qint64 totalSteps);
    void onFinished(bool cancelled);
    void updateButtons();

    app::SweepQueue *m_queue;
    app::ProjectDocument *m_document;
    QPlainTextEdit *m_editor = nullptr;
    QLabel *m_problems = nullptr;
    QTableWidget *m_runs = nullptr;
    QLabel *m_summary = nullptr;
    QPushButton *m_start = nullptr;
    QPushButton *m_cancel = nullptr;
    bool m_valid = false;
};

} // namespace ui

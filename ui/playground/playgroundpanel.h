// PlaygroundPanel: try the project's adapters. A prompt box (chat, rendered
// with the model's detected template, or raw text), sampling settings
// (temperature, top-k, top-p, repetition penalty, max new tokens, seed) and
// two output panes, the base model and the chosen adapter, generated with
// the same seed. Text streams in as it is generated on a worker thread; Stop
// ends it. Switching adapters (the runs' checkpoints) keeps the base loaded.
#pragma once

#include "ui/export/projectcheckpoints.h"
#include "ui/playground/playgroundmodel.h"

#include <QWidget>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QThread;

namespace app {
class ProjectDocument;
}

namespace ui {

class PlaygroundPanel : public QWidget
{
    Q_OBJECT

public:
    enum Pane { BasePane, AdapterPane };

    explicit PlaygroundPanel(app::ProjectDocument *document, QWidget *parent = nullptr);
    ~PlaygroundPanel() override; // stops a running generation and waits for it

    void setPrompt(const QString &text);
    void setChatMode(bool chat);
    // 0 = no adapter; 1.. = the project's checkpoints in adapterLabels() order.
    void setAdapterIndex(int index);
    QStringList adapterLabels() const;
    void setCompareWithBase(bool compare);
    void setMaxNewTokens(int tokens);
    void setSeed(int seed);
    engine::GenerationOptions options() const;

    bool isGenerating() const { return m_thread != nullptr; }
    QString output(Pane pane) const { return m_texts[pane]; } // the streamed text, exactly
    QString lastStopReason(Pane pane) const { return m_stopReasons[pane]; }
    int baseLoads() const { return m_model->baseLoads(); }
    int streamedPieces() const { return m_pieces; }

public Q_SLOTS:
    void generate();
    void stop();

Q_SIGNALS:
    void message(const QString &text);
    void textStreamed(int pane, const QString &piece);
    void generationFinished();

private:
    QWidget *buildSettings();
    QWidget *buildOutputs();
    void reloadAdapters();
    GenerationCallbacks callbacks();
    void setGenerating(bool generating);
    void onOpened(const QString &templateText);
    void onText(int pane, const QString &piece);
    void onPaneDone(int pane, const PaneResult &result);
    void onJobDone(const QString &error);

    app::ProjectDocument *m_document;
    std::shared_ptr<PlaygroundModel> m_model;
    std::vector<ProjectCheckpoint> m_adapters;
    QComboBox *m_adapter = nullptr;
    QCheckBox *m_compare = nullptr;
    QComboBox *m_mode = nullptr;
    QLabel *m_template = nullptr;
    QPlainTextEdit *m_prompt = nullptr;
    QDoubleSpinBox *m_temperature = nullptr;
    QSpinBox *m_topK = nullptr;
    QDoubleSpinBox *m_topP = nullptr;
    QDoubleSpinBox *m_repetition = nullptr;
    QSpinBox *m_maxTokens = nullptr;
    QSpinBox *m_seed = nullptr;
    QPushButton *m_generate = nullptr;
    QPushButton *m_stop = nullptr;
    QLabel *m_paneTitles[2] = {nullptr, nullptr};
    QPlainTextEdit *m_outputs[2] = {nullptr, nullptr};
    QString m_stopReasons[2];
    QString m_texts[2]; // streamed pieces joined (the panes may show line breaks normalised)
    QLabel *m_status = nullptr;
    QThread *m_thread = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::vector<int> m_jobPanes; // the output pane of each job pane
    int m_pieces = 0;
};

} // namespace ui

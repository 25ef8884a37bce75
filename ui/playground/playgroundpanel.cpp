#include "ui/playground/playgroundpanel.h"

#include "app/projectdocument.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTextCursor>
#include <QThread>
#include <QVBoxLayout>

namespace ui {

namespace {

QDoubleSpinBox *doubleBox(double low, double high, double step, double value, int decimals, QWidget *parent)
{
    auto *box = new QDoubleSpinBox(parent);
    box->setRange(low, high);
    box->setSingleStep(step);
    box->setDecimals(decimals);
    box->setValue(value);
    return box;
}

QSpinBox *intBox(int low, int high, int value, QWidget *parent)
{
    auto *box = new QSpinBox(parent);
    box->setRange(low, high);
    box->setValue(value);
    return box;
}

} // namespace

PlaygroundPanel::PlaygroundPanel(app::ProjectDocument *document, QWidget *parent)
    : QWidget(parent), m_document(document), m_model(std::make_shared<PlaygroundModel>())
{
    setObjectName(QStringLiteral("PlaygroundPanel"));
    auto *layout = new QVBoxLayout(this);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    auto *top = new QWidget(splitter);
    auto *topLayout = new QHBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(buildSettings());
    auto *promptColumn = new QVBoxLayout;
    m_prompt = new QPlainTextEdit(top);
    m_prompt->setObjectName(QStringLiteral("playgroundPrompt"));
    m_prompt->setPlaceholderText(tr("Write a prompt, then press Generate (Ctrl+Return)."));
    promptColumn->addWidget(m_prompt, 1);
    auto *buttons = new QHBoxLayout;
    m_status = new QLabel(tr("The base model loads on the first Generate."), top);
    m_status->setWordWrap(true);
    m_generate = new QPushButton(tr("Generate"), top);
    m_generate->setObjectName(QStringLiteral("playgroundGenerate"));
    m_generate->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    m_stop = new QPushButton(tr("Stop"), top);
    m_stop->setObjectName(QStringLiteral("playgroundStop"));
    m_stop->setEnabled(false);
    buttons->addWidget(m_status, 1);
    buttons->addWidget(m_generate);
    buttons->addWidget(m_stop);
    promptColumn->addLayout(buttons);
    topLayout->addLayout(promptColumn, 1);
    splitter->addWidget(top);
    splitter->addWidget(buildOutputs());
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter);

    connect(m_generate, &QPushButton::clicked, this, &PlaygroundPanel::generate);
    connect(m_stop, &QPushButton::clicked, this, &PlaygroundPanel::stop);
    connect(m_document, &app::ProjectDocument::projectChanged, this, &PlaygroundPanel::reloadAdapters);
    connect(m_document, &app::ProjectDocument::runsChanged, this, &PlaygroundPanel::reloadAdapters);
    reloadAdapters();
}

PlaygroundPanel::~PlaygroundPanel()
{
    if (m_thread) {
        m_cancel->store(true);
        m_thread->wait();
    }
}

QWidget *PlaygroundPanel::buildSettings()
{
    auto *box = new QGroupBox(tr("Model and sampling"), this);
    box->setMaximumWidth(420);
    auto *form = new QFormLayout(box);
    m_adapter = new QComboBox(box);
    m_adapter->setObjectName(QStringLiteral("playgroundAdapter"));
    m_adapter->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_adapter->setMinimumContentsLength(18);
    form->addRow(tr("Adapter:"), m_adapter);
    m_compare = new QCheckBox(tr("Also generate with the base model"), box);
    m_compare->setChecked(true);
    form->addRow(QString(), m_compare);
    m_mode = new QComboBox(box);
    m_mode->addItems({tr("Chat (model's template)"), tr("Raw text")});
    form->addRow(tr("Prompt:"), m_mode);
    m_template = new QLabel(tr("template: detected when the model loads"), box);
    m_template->setWordWrap(true);
    form->addRow(m_template); // the whole width: the detected template can take a few lines
    m_temperature = doubleBox(0.0, 5.0, 0.1, 0.8, 2, box);
    m_temperature->setToolTip(tr("0 = greedy: always the most likely token"));
    form->addRow(tr("Temperature:"), m_temperature);
    m_topK = intBox(0, 100000, 40, box);
    m_topK->setSpecialValueText(tr("off"));
    form->addRow(tr("Top-k:"), m_topK);
    m_topP = doubleBox(0.01, 1.0, 0.05, 0.95, 2, box);
    form->addRow(tr("Top-p:"), m_topP);
    m_repetition = doubleBox(0.5, 3.0, 0.05, 1.0, 2, box);
    form->addRow(tr("Repetition penalty:"), m_repetition);
    m_maxTokens = intBox(1, 32768, 256, box);
    form->addRow(tr("Max new tokens:"), m_maxTokens);
    m_seed = intBox(0, 2147483647, 0, box);
    m_seed->setToolTip(tr("Both panes use this seed: same settings and seed give the same text"));
    form->addRow(tr("Seed:"), m_seed);
    return box;
}

QWidget *PlaygroundPanel::buildOutputs()
{
    auto *outputs = new QSplitter(Qt::Horizontal, this);
    const QString titles[2] = {tr("Base model"), tr("With adapter")};
    for (int pane = 0; pane < 2; ++pane) {
        auto *column = new QWidget(outputs);
        auto *columnLayout = new QVBoxLayout(column);
        columnLayout->setContentsMargins(0, 0, 0, 0);
        m_paneTitles[pane] = new QLabel(QStringLiteral("<b>%1</b>").arg(titles[pane].toHtmlEscaped()), column);
        m_outputs[pane] = new QPlainTextEdit(column);
        m_outputs[pane]->setObjectName(pane == BasePane ? QStringLiteral("baseOutput") : QStringLiteral("adapterOutput"));
        m_outputs[pane]->setReadOnly(true);
        columnLayout->addWidget(m_paneTitles[pane]);
        columnLayout->addWidget(m_outputs[pane], 1);
        outputs->addWidget(column);
    }
    return outputs;
}

void PlaygroundPanel::reloadAdapters()
{
    const QString current = m_adapter->currentData().toString();
    m_adapters.clear();
    if (m_document->store())
        m_adapters = projectCheckpoints(*m_document->store());
    m_adapter->clear();
    m_adapter->addItem(tr("none (base model only)"), QString());
    for (const ProjectCheckpoint &checkpoint : m_adapters)
        m_adapter->addItem(checkpoint.label(), checkpoint.path);
    const int previous = current.isEmpty() ? -1 : m_adapter->findData(current);
    m_adapter->setCurrentIndex(previous >= 0 ? previous : bestCheckpointIndex(m_adapters) + 1);
}

QStringList PlaygroundPanel::adapterLabels() const
{
    QStringList labels;
    for (const ProjectCheckpoint &checkpoint : m_adapters)
        labels << checkpoint.label();
    return labels;
}

void PlaygroundPanel::setPrompt(const QString &text) { m_prompt->setPlainText(text); }
void PlaygroundPanel::setChatMode(bool chat) { m_mode->setCurrentIndex(chat ? 0 : 1); }
void PlaygroundPanel::setAdapterIndex(int index) { m_adapter->setCurrentIndex(index); }
void PlaygroundPanel::setCompareWithBase(bool compare) { m_compare->setChecked(compare); }
void PlaygroundPanel::setMaxNewTokens(int tokens) { m_maxTokens->setValue(tokens); }
void PlaygroundPanel::setSeed(int seed) { m_seed->setValue(seed); }

engine::GenerationOptions PlaygroundPanel::options() const
{
    engine::GenerationOptions options;
    options.temperature = m_temperature->value();
    options.topK = m_topK->value();
    options.topP = m_topP->value();
    options.repetitionPenalty = m_repetition->value();
    options.maxNewTokens = m_maxTokens->value();
    options.seed = std::uint64_t(m_seed->value());
    return options;
}

GenerationCallbacks PlaygroundPanel::callbacks()
{
    GenerationCallbacks c;
    c.status = [this](const QString &text) {
        QMetaObject::invokeMethod(this, [this, text] { m_status->setText(text); }, Qt::QueuedConnection);
    };
    c.opened = [this](const engine::InferenceSessionInfo &info) {
        QString text = tr("template: %1").arg(QString::fromStdString(info.chatTemplate));
        if (!info.chatTemplateWarning.empty())
            text += QStringLiteral(" (%1)").arg(QString::fromStdString(info.chatTemplateWarning));
        QMetaObject::invokeMethod(this, [this, text] { onOpened(text); }, Qt::QueuedConnection);
    };
    c.text = [this](int pane, const QString &piece) {
        QMetaObject::invokeMethod(this, [this, pane, piece] { onText(pane, piece); }, Qt::QueuedConnection);
    };
    c.paneDone = [this](int pane, const PaneResult &result) {
        QMetaObject::invokeMethod(this, [this, pane, result] { onPaneDone(pane, result); }, Qt::QueuedConnection);
    };
    return c;
}

void PlaygroundPanel::generate()
{
    if (m_thread)
        return;
    GenerationJob job;
    job.modelFolder = QString::fromStdString(m_document->settings().modelPath);
    if (job.modelFolder.isEmpty()) {
        m_status->setText(tr("Choose a base model on the Model page first."));
        return;
    }
    if (m_mode->currentIndex() == 0)
        job.prompt.messages.push_back({"user", m_prompt->toPlainText().toStdString(), true});
    else
        job.prompt.text = m_prompt->toPlainText().toStdString();
    job.options = options();
    if (const engine::Status valid = job.options.validate(); !valid) {
        m_status->setText(QString::fromStdString(valid.message()));
        return;
    }
    const QString adapter = m_adapter->currentData().toString();
    m_jobPanes.clear();
    if (m_compare->isChecked() || adapter.isEmpty()) {
        job.paneAdapters.push_back(QString());
        m_jobPanes.push_back(BasePane);
    }
    if (!adapter.isEmpty()) {
        job.paneAdapters.push_back(adapter);
        m_jobPanes.push_back(AdapterPane);
    }
    m_paneTitles[AdapterPane]->setText(QStringLiteral("<b>%1</b>").arg(
        (adapter.isEmpty() ? tr("With adapter (none chosen)") : tr("With %1").arg(m_adapter->currentText())).toHtmlEscaped()));
    for (int pane = 0; pane < 2; ++pane) {
        m_outputs[pane]->clear();
        m_stopReasons[pane].clear();
        m_texts[pane].clear();
    }
    m_pieces = 0;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    auto model = m_model;
    auto cancel = m_cancel;
    const GenerationCallbacks c = callbacks();
    auto error = std::make_shared<QString>();
    m_thread = QThread::create([model, job, c, cancel, error] {
        const engine::Status status = model->run(job, c, *cancel);
        if (!status)
            *error = QString::fromStdString(status.message());
    });
    connect(m_thread, &QThread::finished, this, [this, error] {
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
        onJobDone(*error);
    });
    setGenerating(true);
    m_thread->start();
}

void PlaygroundPanel::stop()
{
    if (!m_thread)
        return;
    m_cancel->store(true);
    m_status->setText(tr("Stopping…"));
}

void PlaygroundPanel::setGenerating(bool generating)
{
    m_generate->setEnabled(!generating);
    m_stop->setEnabled(generating);
    m_adapter->setEnabled(!generating);
}

void PlaygroundPanel::onOpened(const QString &templateText)
{
    // One line here (the settings column is short); the explanation and hint in the tooltip and the log.
    const qsizetype cut = templateText.indexOf(QStringLiteral(" ("));
    m_template->setText(cut > 0 ? templateText.left(cut) + QStringLiteral(" (?)") : templateText);
    m_template->setToolTip(templateText);
    if (cut > 0)
        Q_EMIT message(templateText);
}

void PlaygroundPanel::onText(int pane, const QString &piece)
{
    const int target = m_jobPanes[size_t(pane)];
    QPlainTextEdit *output = m_outputs[target];
    output->moveCursor(QTextCursor::End);
    output->insertPlainText(piece);
    m_texts[target] += piece;
    ++m_pieces;
    Q_EMIT textStreamed(target, piece);
}

void PlaygroundPanel::onPaneDone(int pane, const PaneResult &result)
{
    const int target = m_jobPanes[size_t(pane)];
    if (!result.error.isEmpty()) {
        m_stopReasons[target] = QStringLiteral("error");
        m_outputs[target]->appendPlainText(tr("[failed: %1]").arg(result.error));
        Q_EMIT message(tr("Playground: %1").arg(result.error));
        return;
    }
    const engine::GenerationResult &r = result.result;
    m_stopReasons[target] = QString::fromLatin1(engine::stopReasonName(r.stopReason));
    m_status->setText(tr("%1 tokens at %2 tokens/s, ended by %3")
                          .arg(r.newTokens).arg(r.tokensPerSecond, 0, 'f', 1).arg(m_stopReasons[target]));
}

void PlaygroundPanel::onJobDone(const QString &error)
{
    setGenerating(false);
    if (!error.isEmpty()) {
        m_status->setText(error);
        Q_EMIT message(tr("Playground: %1").arg(error));
    } else if (m_cancel->load()) {
        m_status->setText(tr("Stopped."));
    }
    Q_EMIT generationFinished();
}

} // namespace ui

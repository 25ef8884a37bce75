#include "ui/panels/datapanel.h"

#include "app/qtstrings.h"

#include "ui/panels/datasetpreviewview.h"
#include "ui/panels/fielderrors.h"

#include "app/projectdocument.h"
#include "engine/data/chattemplatedetector.h"
#include "engine/tokenizer/tokenizerloader.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <memory>

namespace ui {

namespace ed = engine::data;

namespace {

using app::fromStd;

template <typename Enum>
void fillCombo(QComboBox *combo, int count, const char *(*name)(Enum))
{
    for (int i = 0; i < count; ++i)
        combo->addItem(QString::fromLatin1(name(Enum(i))).replace(QLatin1Char('_'), QLatin1Char(' ')), i);
}

std::shared_ptr<std::atomic<bool>> &cancelFlag()
{
    static std::shared_ptr<std::atomic<bool>> flag = std::make_shared<std::atomic<bool>>(false);
    return flag;
}

DatasetPreviewOutcome computePreview(ed::DatasetConfig config, std::string modelPath, int generation,
                                     std::shared_ptr<std::atomic<bool>> cancel)
{
    DatasetPreviewOutcome outcome;
    outcome.generation = generation;
    outcome.maxLength = config.maxLength;
    std::unique_ptr<engine::Tokenizer> tokenizer;
    std::optional<ed::TemplateDetection> chat;
    if (!modelPath.empty()) {
        if (auto loaded = engine::loadTokenizer(modelPath))
            tokenizer = std::move(loaded).value();
        if (auto detected = ed::detectModelChatTemplate(modelPath))
            chat = detected.value();
    }
    auto preview = ed::previewDataset(config, tokenizer.get(), chat ? &*chat : nullptr, 3,
                                      [cancel](std::uint64_t, std::uint64_t) { return !cancel->load(); });
    if (preview)
        outcome.preview = std::move(preview).value();
    else
        outcome.error = fromStd(preview.message());
    return outcome;
}

} // namespace

DataPanel::DataPanel(app::ProjectDocument *document, QWidget *parent) : QWidget(parent), m_document(document)
{
    setObjectName(QStringLiteral("dataPanel"));
    m_errors = new FieldErrors(this);
    auto *layout = new QHBoxLayout(this);
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(buildForm());
    m_view = new DatasetPreviewView(splitter);
    splitter->addWidget(m_view);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({380, 700});
    layout->addWidget(splitter);

    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(250);
    connect(m_debounce, &QTimer::timeout, this, &DataPanel::startPreview);
    connect(&m_watcher, &QFutureWatcher<DatasetPreviewOutcome>::finished, this, &DataPanel::onPreviewDone);
    connect(m_document, &app::ProjectDocument::settingsChanged, this, &DataPanel::onSettingsChanged);
    onSettingsChanged();
}

DataPanel::~DataPanel()
{
    cancelFlag()->store(true);
    m_watcher.waitForFinished();
}

void DataPanel::addRow(QFormLayout *form, const QString &label, QWidget *field, const QStringList &keys)
{
    m_errors->addRow(form, label, field, keys);
}

QWidget *DataPanel::buildForm()
{
    auto *box = new QWidget(this);
    auto *outer = new QVBoxLayout(box);
    outer->addWidget(new QLabel(tr("<h2>Training data</h2>"), box));
    auto *form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignRight);
    outer->addLayout(form);

    auto pathRow = [this, box](QLineEdit *&edit, const QString &name, const QString &title) {
        edit = new QLineEdit(box);
        edit->setObjectName(name);
        edit->setClearButtonEnabled(true);
        auto *row = new QWidget(box);
        auto *h = new QHBoxLayout(row);
        h->setContentsMargins(0, 0, 0, 0);
        auto *button = new QPushButton(tr("…"), row);
        button->setToolTip(title);
        button->setFixedWidth(32);
        h->addWidget(edit, 1);
        h->addWidget(button);
        QLineEdit *target = edit;
        connect(button, &QPushButton::clicked, this, [this, target, title] { browse(target, title); });
        connect(edit, &QLineEdit::editingFinished, this, &DataPanel::commit);
        return row;
    };
    QWidget *trainRow = pathRow(m_train, QStringLiteral("trainPath"), tr("Choose the Training File"));
    m_train->setPlaceholderText(tr(".jsonl, .json, .csv, .tsv, .txt or a folder"));
    addRow(form, tr("Training file:"), trainRow, {QStringLiteral("train"), QStringLiteral("record")});
    QWidget *validationRow = pathRow(m_validation, QStringLiteral("validationPath"), tr("Choose a Validation File"));
    m_validation->setPlaceholderText(tr("optional: else held out from the training file"));
    addRow(form, tr("Validation file:"), validationRow, {QStringLiteral("validation file")});

    m_fraction = new QDoubleSpinBox(box);
    m_fraction->setObjectName(QStringLiteral("validationFraction"));
    m_fraction->setRange(0.0, 1.0); // the engine allows [0, 0.5] and says so
    m_fraction->setSingleStep(0.05);
    m_fraction->setDecimals(3);
    addRow(form, tr("Held out:"), m_fraction, {QStringLiteral("validation fraction")});

    m_shape = new QComboBox(box);
    m_shape->setObjectName(QStringLiteral("shape"));
    fillCombo<ed::Shape>(m_shape, 7, ed::shapeName);
    addRow(form, tr("Record shape:"), m_shape, {QStringLiteral("shape"), QStringLiteral("field")});
    m_template = new QComboBox(box);
    m_template->setObjectName(QStringLiteral("chatTemplate"));
    fillCombo<ed::TemplateKind>(m_template, 10, ed::templateName);
    addRow(form, tr("Chat template:"), m_template, {QStringLiteral("template")});
    m_lossOn = new QComboBox(box);
    m_lossOn->setObjectName(QStringLiteral("lossOn"));
    fillCombo<ed::LossOn>(m_lossOn, 3, ed::lossOnName);
    m_lossOn->setToolTip(tr("completion: only answers and assistant turns carry loss; all: every token"));
    addRow(form, tr("Train on:"), m_lossOn, {QStringLiteral("loss")});
    m_system = new QLineEdit(box);
    m_system->setObjectName(QStringLiteral("systemPrompt"));
    m_system->setPlaceholderText(tr("optional system message for conversations without one"));
    addRow(form, tr("System prompt:"), m_system, {QStringLiteral("system")});
    m_maxLength = new QSpinBox(box);
    m_maxLength->setObjectName(QStringLiteral("maxLength"));
    m_maxLength->setRange(0, 1 << 21); // the engine's range check speaks for the field
    m_maxLength->setSuffix(tr(" tokens"));
    addRow(form, tr("Max length:"), m_maxLength, {QStringLiteral("maximum length")});
    m_packing = new QCheckBox(tr("Pack several examples per sequence"), box);
    m_shuffle = new QCheckBox(tr("Shuffle every epoch"), box);
    m_skipBad = new QCheckBox(tr("Skip malformed records (counted)"), box);
    for (QCheckBox *check : {m_packing, m_shuffle, m_skipBad}) {
        form->addRow(QString(), check);
        connect(check, &QCheckBox::toggled, this, &DataPanel::commit);
    }
    m_general = FieldErrors::makeLabel(box);
    m_general->setObjectName(QStringLiteral("dataError"));
    m_errors->setGeneralLabel(m_general);
    outer->addWidget(m_general);
    outer->addStretch(1);

    connect(m_fraction, &QDoubleSpinBox::valueChanged, this, &DataPanel::commit);
    connect(m_maxLength, &QSpinBox::valueChanged, this, &DataPanel::commit);
    connect(m_system, &QLineEdit::editingFinished, this, &DataPanel::commit);
    for (QComboBox *combo : {m_shape, m_template, m_lossOn})
        connect(combo, &QComboBox::currentIndexChanged, this, &DataPanel::commit);
    return box;
}

void DataPanel::browse(QLineEdit *edit, const QString &title)
{
    const QString path = QFileDialog::getOpenFileName(this, title, QFileInfo(edit->text()).absolutePath(),
                                                      tr("Datasets (*.jsonl *.json *.csv *.tsv *.txt);;All files (*)"));
    if (path.isEmpty())
        return;
    edit->setText(path);
    commit();
}

void DataPanel::setTrainFile(const QString &path)
{
    m_train->setText(path);
    commit();
}

void DataPanel::commit()
{
    if (m_updating)
        return;
    engine::RunSettings settings = m_document->settings();
    ed::DatasetConfig &d = settings.dataset;
    d.trainPath = m_train->text().trimmed().toStdString();
    d.validationPath = m_validation->text().trimmed().toStdString();
    d.validationFraction = m_fraction->value();
    d.shape = ed::Shape(m_shape->currentData().toInt());
    d.chatTemplate = ed::TemplateKind(m_template->currentData().toInt());
    d.lossOn = ed::LossOn(m_lossOn->currentData().toInt());
    d.systemPrompt = m_system->text().toStdString();
    d.maxLength = m_maxLength->value();
    d.packing = m_packing->isChecked();
    d.shuffle = m_shuffle->isChecked();
    d.skipBadRecords = m_skipBad->isChecked();
    m_document->setSettings(settings);
}

void DataPanel::onSettingsChanged()
{
    const ed::DatasetConfig &d = m_document->settings().dataset;
    m_updating = true;
    m_train->setText(fromStd(d.trainPath));
    m_validation->setText(fromStd(d.validationPath));
    m_fraction->setValue(d.validationFraction);
    m_shape->setCurrentIndex(m_shape->findData(int(d.shape)));
    m_template->setCurrentIndex(m_template->findData(int(d.chatTemplate)));
    m_lossOn->setCurrentIndex(m_lossOn->findData(int(d.lossOn)));
    m_system->setText(fromStd(d.systemPrompt));
    m_maxLength->setValue(d.maxLength);
    m_packing->setChecked(d.packing);
    m_shuffle->setChecked(d.shuffle);
    m_skipBad->setChecked(d.skipBadRecords);
    m_updating = false;

    const engine::Status status = d.validate();
    m_errors->show(status ? m_previewError : fromStd(status.message()));
    const std::string key = ed::toJson(d) + '\n' + m_document->settings().modelPath;
    if (status && key != m_previewedKey)
        schedulePreview();
}

void DataPanel::schedulePreview()
{
    m_pending = true;
    m_debounce->start();
}

void DataPanel::startPreview()
{
    if (m_running) { // one at a time: cancel the running one, retry when it ends
        cancelFlag()->store(true);
        return;
    }
    m_pending = false;
    const engine::RunSettings &settings = m_document->settings();
    m_previewedKey = ed::toJson(settings.dataset) + '\n' + settings.modelPath;
    if (settings.dataset.trainPath.empty()) {
        m_preview.reset();
        m_previewError.clear();
        m_view->showMessage(tr("Choose a training file to see its examples."));
        Q_EMIT previewUpdated();
        return;
    }
    m_running = true;
    cancelFlag() = std::make_shared<std::atomic<bool>>(false);
    m_view->showMessage(tr("Reading %1…").arg(fromStd(settings.dataset.trainPath)));
    m_watcher.setFuture(QtConcurrent::run(computePreview, settings.dataset, settings.modelPath, ++m_generation, cancelFlag()));
}

void DataPanel::onPreviewDone()
{
    m_running = false;
    const DatasetPreviewOutcome outcome = m_watcher.result();
    const engine::RunSettings &settings = m_document->settings();
    if (m_previewedKey != ed::toJson(settings.dataset) + '\n' + settings.modelPath) {
        startPreview(); // the settings moved on while reading
        return;
    }
    m_preview = outcome.preview;
    m_previewError = outcome.error;
    m_errors->show(m_previewError);
    if (m_preview)
        m_view->showPreview(*m_preview, outcome.maxLength);
    else
        m_view->showMessage(tr("The dataset cannot be read."));
    Q_EMIT previewUpdated();
}

QString DataPanel::errorFor(const QString &objectName) const
{
    if (objectName.isEmpty())
        return m_errors->generalMessage();
    const auto *field = findChild<QWidget *>(objectName);
    return field ? m_errors->messageFor(field) : QString();
}

} // namespace ui

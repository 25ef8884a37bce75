#include "ui/panels/modelpanel.h"

#include "ui/panels/fielderrors.h"

#include "app/projectdocument.h"
#include "engine/data/chattemplatedetector.h"

#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace ui {

QString formatCount(double count)
{
    if (count >= 1e9)
        return QStringLiteral("%1 B").arg(count / 1e9, 0, 'f', 2);
    if (count >= 1e6)
        return QStringLiteral("%1 M").arg(count / 1e6, 0, 'f', 1);
    if (count >= 1e3)
        return QStringLiteral("%1 k").arg(count / 1e3, 0, 'f', 1);
    return QString::number(qint64(count));
}

QString formatBytes(double bytes)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(bytes, 0, 'f', unit == 0 ? 0 : 1).arg(QLatin1String(units[unit]));
}

ModelPanel::ModelPanel(app::ProjectDocument *document, QWidget *parent) : QWidget(parent), m_document(document)
{
    setObjectName(QStringLiteral("modelPanel"));
    auto *layout = new QVBoxLayout(this);
    auto *heading = new QLabel(tr("<h2>Base model</h2><p>A Hugging Face model folder on disk: <tt>config.json</tt>, "
                                  "<tt>*.safetensors</tt> and the tokenizer files. GPT-2 and the Llama family "
                                  "(Llama, Mistral, Qwen2, SmolLM…) are supported.</p>"), this);
    heading->setWordWrap(true);
    layout->addWidget(heading);

    auto *row = new QHBoxLayout;
    m_path = new QLineEdit(this);
    m_path->setObjectName(QStringLiteral("modelPath"));
    m_path->setPlaceholderText(tr("Model folder…"));
    m_path->setClearButtonEnabled(true);
    auto *browse = new QPushButton(tr("&Browse…"), this);
    row->addWidget(m_path, 1);
    row->addWidget(browse);
    layout->addLayout(row);
    m_pathError = FieldErrors::makeLabel(this);
    layout->addWidget(m_pathError);
    m_errors = new FieldErrors(this);
    m_errors->addField(m_path, m_pathError, {QStringLiteral("model")});
    m_errors->setGeneralLabel(m_pathError);

    auto *box = new QGroupBox(tr("What the folder holds"), this);
    m_form = new QFormLayout(box);
    m_form->setLabelAlignment(Qt::AlignRight);
    m_architecture = addValue(tr("Architecture"), QStringLiteral("architecture"));
    m_shape = addValue(tr("Shape"), QStringLiteral("shape"));
    m_parameters = addValue(tr("Parameters"), QStringLiteral("parameters"));
    m_dtype = addValue(tr("Stored as"), QStringLiteral("dtype"));
    m_projections = addValue(tr("Projections"), QStringLiteral("projections"));
    m_tokenizer = addValue(tr("Tokenizer"), QStringLiteral("tokenizer"));
    m_template = addValue(tr("Chat template"), QStringLiteral("chatTemplate"));
    m_memory = addValue(tr("Training memory"), QStringLiteral("memory"));
    m_details = box;
    layout->addWidget(box);
    layout->addStretch(1);

    connect(browse, &QPushButton::clicked, this, &ModelPanel::browse);
    connect(m_path, &QLineEdit::editingFinished, this, [this] { setModelFolder(m_path->text().trimmed()); });
    connect(m_document, &app::ProjectDocument::settingsChanged, this, &ModelPanel::onSettingsChanged);
    onSettingsChanged();
}

QLabel *ModelPanel::addValue(const QString &name, const QString &objectName)
{
    auto *value = new QLabel(QStringLiteral("—"), m_details ? m_details : this);
    value->setObjectName(objectName);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    value->setWordWrap(true);
    m_form->addRow(name + QLatin1Char(':'), value);
    return value;
}

void ModelPanel::browse()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Choose a Model Folder"), m_path->text());
    if (!folder.isEmpty())
        setModelFolder(folder);
}

void ModelPanel::setModelFolder(const QString &folder)
{
    engine::RunSettings settings = m_document->settings();
    if (settings.modelPath == folder.toStdString() && m_inspected == folder)
        return;
    settings.modelPath = folder.toStdString();
    m_document->setSettings(settings);
}

void ModelPanel::onSettingsChanged()
{
    const QString folder = QString::fromStdString(m_document->settings().modelPath);
    if (m_path->text() != folder)
        m_path->setText(folder);
    if (folder != m_inspected)
        inspect(folder);
    showMemory();
}

void ModelPanel::inspect(const QString &folder)
{
    m_inspected = folder;
    m_info.reset();
    m_errors->clear();
    if (!folder.isEmpty()) {
        auto info = engine::inspectModel(folder.toStdString());
        if (info)
            m_info = std::move(info).value();
        else
            m_errors->show(QString::fromStdString(info.message()));
    }
    showInfo();
}

void ModelPanel::showInfo()
{
    for (QLabel *label : {m_architecture, m_shape, m_parameters, m_dtype, m_projections, m_tokenizer, m_template})
        label->setText(QStringLiteral("—"));
    if (!m_info)
        return;
    const engine::ModelInfo &info = *m_info;
    m_architecture->setText(QStringLiteral("%1 (%2)").arg(QString::fromStdString(info.architecture), QString::fromStdString(info.modelType)));
    m_shape->setText(tr("%1 layers · hidden %2 · %3 heads (%4 KV) · MLP %5 · vocabulary %6 · context %7")
                         .arg(info.layers).arg(info.hiddenSize).arg(info.heads).arg(info.kvHeads)
                         .arg(info.intermediateSize).arg(info.vocabSize).arg(info.maxPositions));
    m_parameters->setText(tr("%1 (%2 in %3 file(s))%4")
                              .arg(formatCount(double(info.parameterCount)), formatBytes(double(info.weightBytes)))
                              .arg(info.weightFiles.size())
                              .arg(info.tiedEmbeddings ? tr(", tied embeddings") : QString()));
    m_dtype->setText(QString::fromStdString(info.storedDtype));
    QStringList names;
    for (const std::string &name : info.linearNames)
        names << QString::fromStdString(name);
    m_projections->setText(names.join(QStringLiteral(", ")));
    m_tokenizer->setText(info.hasTokenizerJson ? tr("tokenizer.json") + (info.hasTokenizerConfig ? tr(" + tokenizer_config.json") : QString())
                                               : tr("no tokenizer.json (vocab.json + merges.txt are used if present)"));
    QString chat = tr("none (conversations use ChatML)");
    if (info.hasChatTemplate) {
        const auto detection = engine::data::detectModelChatTemplate(info.folder);
        chat = QString::fromStdString(info.chatTemplateSource);
        if (detection)
            chat += QStringLiteral(" → %1%2").arg(QLatin1String(engine::data::templateName(detection->chatTemplate.kind)),
                                                  detection->warning.empty() ? QString() : QStringLiteral(" (") + QString::fromStdString(detection->warning) + QLatin1Char(')'));
    }
    m_template->setText(chat);
}

void ModelPanel::showMemory()
{
    if (!m_info) {
        m_memory->setText(QStringLiteral("—"));
        return;
    }
    const engine::RunSettings &s = m_document->settings();
    const engine::MemoryEstimate estimate =
        engine::estimateTrainingMemory(*m_info, s.training.batchSize, s.dataset.maxLength, s.lora.rank, "f32",
                                       s.training.gradientCheckpointing, s.training.baseWeights == "nf4");
    m_memory->setText(tr("≈ %1 on %2 (weights %3, adapter state %4, activations %5) for batch %6 × %7 tokens, rank %8")
                          .arg(formatBytes(double(estimate.totalBytes)), QString::fromStdString(s.training.device),
                               formatBytes(double(estimate.baseWeightBytes)), formatBytes(double(estimate.loraStateBytes)),
                               formatBytes(double(estimate.activationBytes)))
                          .arg(s.training.batchSize).arg(s.dataset.maxLength).arg(s.lora.rank));
}

QString ModelPanel::errorText() const { return m_pathError->text(); }

} // namespace ui

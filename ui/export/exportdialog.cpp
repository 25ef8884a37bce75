#include "ui/export/exportdialog.h"

#include "app/qtstrings.h"

#include "ui/panels/modelpanel.h" // formatBytes

#include "app/projectdocument.h"
#include "engine/export/checkpointsource.h"
#include "engine/project/projectstore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

#include <algorithm>

namespace ui {

namespace {

using app::fromStd;

QString summaryOf(const ExportTaskResult &result)
{
    QStringList lines;
    if (result.cancelled)
        lines << (result.summary.files.empty() || result.summary.cancelled
                      ? QObject::tr("Export cancelled; nothing was left behind.")
                      : QObject::tr("Verification cancelled: the files below were written but are NOT verified."));
    if (!result.error.isEmpty())
        lines << QObject::tr("Failed: %1").arg(result.error);
    if (!result.summary.files.empty() && !result.summary.cancelled) {
        std::uint64_t total = 0;
        lines << QObject::tr("Files written:");
        for (const engine::ExportedFile &file : result.summary.files) {
            lines << QStringLiteral("  %1  (%2)").arg(fromStd(file.path), formatBytes(double(file.bytes)));
            total += file.bytes;
        }
        lines << QObject::tr("  total %1").arg(formatBytes(double(total)));
    }
    for (const std::string &warning : result.summary.warnings)
        lines << QObject::tr("Warning: %1").arg(fromStd(warning));
    if (!result.checks.empty())
        lines << QObject::tr("Verification on %1: checkpoint loss %2 (computed in Lorafit)")
                     .arg(result.examples).arg(result.checkpointLoss, 0, 'g', 8);
    for (const ExportCheck &check : result.checks)
        lines << QObject::tr("  %1: loss %2 loaded back by Lorafit, %3 the %4's %5 (tolerance %6 relative)")
                     .arg(check.path).arg(check.loss, 0, 'g', 8)
                     .arg(check.agrees ? QObject::tr("matches") : QObject::tr("MISMATCH"), check.against)
                     .arg(check.expected, 0, 'g', 8).arg(check.tolerance);
    for (const std::string &step : result.summary.nextSteps)
        lines << QObject::tr("Next: %1").arg(fromStd(step));
    if (result.verified())
        lines << QObject::tr("Success: every export loads back and gives the checkpoint's loss.");
    return lines.join(QLatin1Char('\n'));
}

} // namespace

ExportDialog::ExportDialog(app::ProjectDocument *document, QWidget *parent) : QDialog(parent), m_document(document)
{
    setObjectName(QStringLiteral("ExportDialog"));
    setWindowTitle(tr("Export adapter"));
    buildForm();
    fillCheckpoints();
    fillDtypes();
    resize(720, 560);
}

ExportDialog::~ExportDialog()
{
    if (m_thread) {
        m_cancel->store(true);
        m_thread->wait();
    }
}

void ExportDialog::buildForm()
{
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    m_checkpoint = new QComboBox(this);
    m_checkpoint->setObjectName(QStringLiteral("exportCheckpoint"));
    form->addRow(tr("Checkpoint:"), m_checkpoint);
    m_formats = new QListWidget(this);
    m_formats->setObjectName(QStringLiteral("exportFormats"));
    for (const engine::ExportFormatInfo &format : engine::exportFormats()) {
        auto *item = new QListWidgetItem(fromStd(format.name), m_formats);
        item->setData(Qt::UserRole, fromStd(format.id));
        item->setToolTip(fromStd(format.description));
        item->setCheckState(m_formats->count() == 1 ? Qt::Checked : Qt::Unchecked);
    }
    m_formats->setMaximumHeight(m_formats->sizeHintForRow(0) * (m_formats->count() + 1));
    form->addRow(tr("Formats:"), m_formats);
    m_dtype = new QComboBox(this);
    m_dtype->setObjectName(QStringLiteral("exportDtype"));
    form->addRow(tr("Tensor type:"), m_dtype);
    auto *destinationRow = new QHBoxLayout;
    m_destination = new QLineEdit(this);
    m_destination->setObjectName(QStringLiteral("exportDestination"));
    auto *browseButton = new QPushButton(tr("Browse…"), this);
    destinationRow->addWidget(m_destination, 1);
    destinationRow->addWidget(browseButton);
    form->addRow(tr("Destination:"), destinationRow);
    m_overwrite = new QCheckBox(tr("Replace an earlier export in this folder"), this);
    form->addRow(QString(), m_overwrite);
    m_mergeAdapter = new QCheckBox(tr("Merge the adapter into whole-model exports (else: the base model alone, "
                                      "to run with the adapter file)"), this);
    m_mergeAdapter->setObjectName(QStringLiteral("exportMergeAdapter"));
    m_mergeAdapter->setChecked(true);
    form->addRow(QString(), m_mergeAdapter);
    m_verifyExamples = new QSpinBox(this);
    m_verifyExamples->setRange(1, 1000);
    m_verifyExamples->setValue(8);
    m_verifyExamples->setSuffix(tr(" examples"));
    m_verifyExamples->setToolTip(tr("The written files are loaded back and their loss on these examples must match the checkpoint's."));
    form->addRow(tr("Verify on:"), m_verifyExamples);
    layout->addLayout(form);

    m_stage = new QLabel(tr("Choose a checkpoint, formats and a destination, then press Export."), this);
    m_stage->setWordWrap(true);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_summary = new QPlainTextEdit(this);
    m_summary->setObjectName(QStringLiteral("exportSummary"));
    m_summary->setReadOnly(true);
    m_summary->setLineWrapMode(QPlainTextEdit::NoWrap);
    layout->addWidget(m_stage);
    layout->addWidget(m_progress);
    layout->addWidget(m_summary, 1);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_export = m_buttons->addButton(tr("Export"), QDialogButtonBox::AcceptRole);
    m_export->setObjectName(QStringLiteral("exportStart"));
    layout->addWidget(m_buttons);

    connect(m_export, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ExportDialog::reject);
    connect(browseButton, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(m_destination, &QLineEdit::textEdited, this, [this] { m_destinationEdited = true; });
    connect(m_checkpoint, &QComboBox::currentIndexChanged, this, &ExportDialog::suggestDestination);
    connect(m_formats, &QListWidget::itemChanged, this, &ExportDialog::fillDtypes);
}

void ExportDialog::fillCheckpoints()
{
    QString error;
    if (m_document->store())
        m_checkpoints = projectCheckpoints(*m_document->store(), &error);
    m_checkpoint->clear();
    for (const ProjectCheckpoint &checkpoint : m_checkpoints)
        m_checkpoint->addItem(checkpoint.label(), checkpoint.path);
    if (!error.isEmpty())
        m_stage->setText(tr("Could not read the project's checkpoints: %1").arg(error));
    else if (m_checkpoints.empty())
        m_stage->setText(tr("This project has no checkpoints yet: train a run with checkpoints first."));
    m_checkpoint->setCurrentIndex(bestCheckpointIndex(m_checkpoints));
    m_export->setEnabled(!m_checkpoints.empty());
    suggestDestination();
}

// The tensor types the checked formats can store, in the formats' order.
void ExportDialog::fillDtypes()
{
    const QString current = m_dtype->currentText();
    const QStringList ids = checkedFormats();
    QStringList names;
    for (const engine::ExportFormatInfo &format : engine::exportFormats())
        if (ids.contains(fromStd(format.id)))
            for (engine::TensorDtype dtype : format.dtypes)
                if (!names.contains(QLatin1String(engine::tensorDtypeName(dtype))))
                    names << QLatin1String(engine::tensorDtypeName(dtype));
    m_dtype->clear();
    m_dtype->addItem(tr("each format's default"));
    m_dtype->addItems(names);
    m_dtype->setCurrentIndex(std::max(0, m_dtype->findText(current)));
}

void ExportDialog::suggestDestination()
{
    const ProjectCheckpoint *checkpoint = selectedCheckpoint();
    if (m_destinationEdited || !checkpoint || m_document->isUntitled())
        return;
    QString name = QStringLiteral("%1-step%2").arg(checkpoint->runName).arg(checkpoint->step);
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("-"));
    const QDir folder = QFileInfo(m_document->filePath()).absoluteDir();
    m_destination->setText(QDir::toNativeSeparators(folder.filePath(QStringLiteral("exports/") + name)));
}

void ExportDialog::browse()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Export destination"), m_destination->text());
    if (!folder.isEmpty())
        setDestination(folder);
}

void ExportDialog::selectRun(qint64 runId)
{
    const int index = bestCheckpointIndex(m_checkpoints, runId);
    if (index >= 0)
        m_checkpoint->setCurrentIndex(index);
}

const ProjectCheckpoint *ExportDialog::selectedCheckpoint() const
{
    const int index = m_checkpoint->currentIndex();
    return index >= 0 && index < int(m_checkpoints.size()) ? &m_checkpoints[size_t(index)] : nullptr;
}

void ExportDialog::setDestination(const QString &folder)
{
    m_destination->setText(folder);
    m_destinationEdited = true;
}

void ExportDialog::setFormats(const QStringList &ids)
{
    for (int i = 0; i < m_formats->count(); ++i) {
        QListWidgetItem *item = m_formats->item(i);
        item->setCheckState(ids.contains(item->data(Qt::UserRole).toString()) ? Qt::Checked : Qt::Unchecked);
    }
}

void ExportDialog::setVerifyExamples(int examples) { m_verifyExamples->setValue(examples); }
void ExportDialog::setOverwrite(bool overwrite) { m_overwrite->setChecked(overwrite); }

QStringList ExportDialog::checkedFormats() const
{
    QStringList ids;
    for (int i = 0; i < m_formats->count(); ++i)
        if (m_formats->item(i)->checkState() == Qt::Checked)
            ids << m_formats->item(i)->data(Qt::UserRole).toString();
    return ids;
}

QString ExportDialog::summaryText() const { return m_summary->toPlainText(); }

engine::Result<engine::ExportRequest> ExportDialog::buildRequest() const
{
    const ProjectCheckpoint *checkpoint = selectedCheckpoint();
    if (!checkpoint)
        return engine::Status::failure("no checkpoint chosen (hint: train a run with checkpoints first)");
    const QStringList formats = checkedFormats();
    if (formats.isEmpty())
        return engine::Status::failure("no format chosen (hint: tick at least one format)");
    if (m_destination->text().trimmed().isEmpty())
        return engine::Status::failure("no destination folder (hint: press Browse… to choose one)");
    const auto source = engine::readCheckpointSource(checkpoint->path.toStdString());
    if (!source)
        return source.status();
    engine::ExportRequest request;
    request.checkpointFolder = checkpoint->path.toStdString();
    for (const QString &id : formats)
        request.formats.push_back(id.toStdString());
    if (m_dtype->currentIndex() > 0) {
        const auto dtype = engine::parseTensorDtype(m_dtype->currentText().toStdString());
        if (!dtype)
            return dtype.status();
        request.dtype = dtype.value();
    }
    request.outDir = QDir::fromNativeSeparators(m_destination->text().trimmed()).toStdString();
    request.overwrite = m_overwrite->isChecked();
    request.mergeAdapter = m_mergeAdapter->isChecked();
    request.systemPrompt = source->systemPrompt;
    request.card = source->card;
    request.conversational = source->conversational;
    return request;
}

void ExportDialog::startExport()
{
    if (m_thread)
        return;
    const auto request = buildRequest();
    if (!request) {
        m_stage->setText(tr("Cannot export: %1").arg(fromStd(request.message())));
        return;
    }
    m_succeeded = false;
    m_summary->clear();
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    auto result = std::make_shared<ExportTaskResult>();
    const int examples = m_verifyExamples->value();
    const engine::ExportRequest job = request.value();
    const auto cancel = m_cancel;
    m_thread = QThread::create([this, job, examples, cancel, result] {
        *result = runExportTask(job, examples, [this](double fraction, const QString &text) {
            QMetaObject::invokeMethod(this, [this, fraction, text] { onProgress(fraction, text); }, Qt::QueuedConnection);
        }, *cancel);
    });
    connect(m_thread, &QThread::finished, this, [this, result, job] {
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
        onFinished(*result, job);
    });
    setRunning(true);
    Q_EMIT message(tr("Exporting %1 to %2").arg(fromStd(job.checkpointFolder), fromStd(job.outDir)));
    m_thread->start();
}

void ExportDialog::cancelExport()
{
    if (!m_thread)
        return;
    m_cancel->store(true);
    m_stage->setText(tr("Cancelling…"));
}

void ExportDialog::reject()
{
    if (m_thread)
        cancelExport();
    else
        QDialog::reject();
}

void ExportDialog::setRunning(bool running)
{
    m_export->setEnabled(!running && !m_checkpoints.empty());
    for (QWidget *input : std::initializer_list<QWidget *>{m_checkpoint, m_formats, m_dtype, m_destination, m_overwrite,
                                                                      m_mergeAdapter, m_verifyExamples})
        input->setEnabled(!running);
    m_buttons->button(QDialogButtonBox::Cancel)->setText(running ? tr("Cancel export") : tr("Close"));
    if (running)
        m_progress->setValue(0);
}

void ExportDialog::onProgress(double fraction, const QString &text)
{
    m_progress->setValue(int(fraction * 1000.0));
    m_stage->setText(text);
}

void ExportDialog::onFinished(const ExportTaskResult &result, const engine::ExportRequest &request)
{
    setRunning(false);
    m_succeeded = result.verified();
    m_summary->setPlainText(summaryOf(result));
    m_stage->setText(m_succeeded ? tr("Exported and verified.")
                     : result.cancelled ? tr("Cancelled.") : tr("The export did not succeed; see the summary."));
    if (m_succeeded) {
        m_progress->setValue(1000);
        recordExport(request);
    }
    Q_EMIT message(m_stage->text() + QLatin1Char(' ') + fromStd(request.outDir));
    Q_EMIT exportFinished(m_succeeded);
}

void ExportDialog::recordExport(const engine::ExportRequest &request)
{
    engine::ProjectStore *store = m_document->store();
    const ProjectCheckpoint *checkpoint = selectedCheckpoint();
    if (!store || store->isReadOnly()) {
        m_summary->appendPlainText(tr("Not recorded in the project (it is read-only or untitled)."));
        return;
    }
    for (const std::string &format : request.formats) {
        engine::ExportInfo info;
        if (checkpoint)
            info.runId = checkpoint->runId;
        info.format = format;
        info.path = QFileInfo(fromStd(engine::exportFolder(request, format))).absoluteFilePath().toStdString();
        const auto added = store->addExport(info);
        if (!added)
            m_summary->appendPlainText(tr("Not recorded in the project: %1").arg(fromStd(added.message())));
    }
}

} // namespace ui

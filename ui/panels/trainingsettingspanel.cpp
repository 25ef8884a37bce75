#include "ui/panels/trainingsettingspanel.h"

#include "ui/panels/fielderrors.h"

#include "app/projectdocument.h"
#include "engine/core/runtime.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

namespace ui {

TrainingSettingsPanel::TrainingSettingsPanel(app::ProjectDocument *document, QWidget *parent)
    : QWidget(parent), m_document(document)
{
    setObjectName(QStringLiteral("trainingSettingsPanel"));
    m_errors = new FieldErrors(this);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *content = new QWidget(scroll);
    auto *layout = new QVBoxLayout(content);
    layout->addWidget(new QLabel(tr("<h2>Training</h2>"), content));
    auto *form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignRight);
    layout->addLayout(form);

    m_objective = new QComboBox(content);
    m_objective->setObjectName(QStringLiteral("objective"));
    m_objective->addItem(tr("Supervised (SFT)"), QStringLiteral("sft"));
    m_objective->addItem(tr("Preference: DPO"), QStringLiteral("dpo"));
    m_objective->addItem(tr("Preference: ORPO"), QStringLiteral("orpo"));
    m_objective->setToolTip(tr("SFT learns the answers of the data. DPO and ORPO learn from preference pairs "
                               "(a prompt with a chosen and a rejected answer): DPO moves the model towards the "
                               "chosen answers relative to the model it started from (the adapter switched off), "
                               "ORPO adds an odds-ratio term to the chosen answers' loss and needs no reference."));
    addRow(form, tr("Objective:"), m_objective, {QStringLiteral("training.objective")});
    m_beta = addDouble(form, tr("DPO β:"), QStringLiteral("beta"), 0, 100, 3, {QStringLiteral("training.beta")});
    m_beta->setSingleStep(0.05);
    m_beta->setToolTip(tr("How strongly DPO may pull away from the reference model; 0.1 is usual, larger stays closer"));
    m_labelSmoothing = addDouble(form, tr("DPO label smoothing:"), QStringLiteral("labelSmoothing"), 0, 0.49, 2,
                                 {QStringLiteral("training.label_smoothing")});
    m_labelSmoothing->setSingleStep(0.05);
    m_labelSmoothing->setToolTip(tr("The share of pairs you expect to be labelled the wrong way round (conservative "
                                    "DPO); 0 trusts every pair"));
    m_orpoLambda = addDouble(form, tr("ORPO λ:"), QStringLiteral("orpoLambda"), 0, 100, 3,
                             {QStringLiteral("training.orpo_lambda")});
    m_orpoLambda->setSingleStep(0.05);
    m_orpoLambda->setToolTip(tr("Weight of ORPO's odds-ratio term beside the chosen answers' loss; 0.1 is usual"));
    m_learningRate = new QLineEdit(content);
    m_learningRate->setObjectName(QStringLiteral("learningRate"));
    m_learningRate->setToolTip(tr("η_A, the rate of the A matrices; B uses λ·η_A with LoRA+"));
    addRow(form, tr("Learning rate:"), m_learningRate, {QStringLiteral("optimizer.learning_rate")});
    m_lengthMode = new QComboBox(content);
    m_lengthMode->setObjectName(QStringLiteral("lengthMode"));
    m_lengthMode->addItems({tr("Epochs"), tr("Steps")});
    form->addRow(tr("Run length in:"), m_lengthMode);
    m_epochs = addDouble(form, tr("Epochs:"), QStringLiteral("epochs"), -1000, 1000, 2, {QStringLiteral("training.epochs")});
    m_steps = addInt(form, tr("Steps:"), QStringLiteral("maxSteps"), -1, 10000000, {QStringLiteral("training.max_steps")});
    m_batch = addInt(form, tr("Batch size:"), QStringLiteral("batchSize"), 0, 100000, {QStringLiteral("training.batch_size")});
    m_accumulation = addInt(form, tr("Accumulation:"), QStringLiteral("accumulation"), 0, 100000, {QStringLiteral("training.gradient_accumulation")});
    m_schedule = new QComboBox(content);
    m_schedule->setObjectName(QStringLiteral("schedule"));
    m_schedule->addItems({tr("constant"), tr("linear"), tr("cosine")});
    form->addRow(tr("Schedule:"), m_schedule);
    m_warmup = addDouble(form, tr("Warmup:"), QStringLiteral("warmup"), -1, 2, 3, {QStringLiteral("optimizer.warmup_ratio")});
    m_warmup->setSuffix(tr(" of the steps"));
    m_weightDecay = addDouble(form, tr("Weight decay:"), QStringLiteral("weightDecay"), -1, 10, 4, {QStringLiteral("optimizer.weight_decay")});
    m_clip = addDouble(form, tr("Clip gradient norm:"), QStringLiteral("maxGradNorm"), -1, 1000, 2, {QStringLiteral("optimizer.max_grad_norm")});
    m_clip->setSpecialValueText(tr("off"));
    m_seed = new QLineEdit(content);
    m_seed->setObjectName(QStringLiteral("seed"));
    m_seed->setToolTip(tr("One seed for the adapter's initialisation, dropout, shuffling and sampling (0 to 2⁶⁴ − 1)"));
    addRow(form, tr("Seed:"), m_seed, {QStringLiteral("training.seed")});
    m_evalEvery = addInt(form, tr("Evaluate every:"), QStringLiteral("evalEvery"), -1, 1000000, {QStringLiteral("eval_every")});
    m_checkpointEvery = addInt(form, tr("Checkpoint every:"), QStringLiteral("checkpointEvery"), -1, 1000000, {QStringLiteral("checkpoint_every")});
    m_probeEvery = addInt(form, tr("δ probes every:"), QStringLiteral("probeEvery"), -1, 1000000, {QStringLiteral("probe_every")});
    for (QSpinBox *box : {m_evalEvery, m_checkpointEvery, m_probeEvery})
        box->setSuffix(tr(" steps"));
    m_device = new QComboBox(content);
    m_device->setObjectName(QStringLiteral("device"));
    for (const engine::DeviceInfo &device : engine::runtimeInfo().devices)
        m_device->addItem(QString::fromStdString(device.name), QString::fromStdString(device.id));
    addRow(form, tr("Device:"), m_device, {QStringLiteral("training.device")});
    m_threads = addInt(form, tr("CPU threads:"), QStringLiteral("threads"), -1, 1024, {QStringLiteral("training.threads")});
    m_threads->setSpecialValueText(tr("all cores"));
    m_threads->setMinimum(0);
    m_processes = addInt(form, tr("Processes:"), QStringLiteral("processes"), 1, 256, {QStringLiteral("training.processes")});
    m_processes->setToolTip(tr("Data parallel: this many processes each train their share of every batch and sum "
                               "their gradients (c10d), so the run computes what one process computes. On the CPU "
                               "the cores are shared out among them; on CUDA each takes one GPU (cuda:0, cuda:1, "
                               "…). The batch size stays the whole batch."));
    m_checkpointing = new QCheckBox(tr("Gradient checkpointing"), content);
    m_checkpointing->setObjectName(QStringLiteral("gradientCheckpointing"));
    m_checkpointing->setToolTip(tr("Gradient checkpointing: keeps only each layer's input between the forward and "
                                   "backward pass, so activations need a fraction of the memory; a step costs one "
                                   "more forward pass."));
    addRow(form, tr("Save memory:"), m_checkpointing, {QStringLiteral("training.gradient_checkpointing")});
    m_baseWeights = new QComboBox(content);
    m_baseWeights->setObjectName(QStringLiteral("baseWeights"));
    m_baseWeights->addItem(tr("Automatic (bf16 on a GPU, f32 on the CPU)"), QStringLiteral("auto"));
    m_baseWeights->addItem(tr("Full precision (f32)"), QStringLiteral("f32"));
    m_baseWeights->addItem(tr("Half precision (bf16)"), QStringLiteral("bf16"));
    m_baseWeights->addItem(tr("4-bit NF4 (QLoRA)"), QStringLiteral("nf4"));
    m_baseWeights->setToolTip(tr("bf16 halves the memory of the frozen projections; a GPU computes in bf16 anyway. "
                                 "4-bit NF4 stores them in about an eighth of the memory (blocks of 64, double "
                                 "quantisation, as QLoRA does) and expands them on the fly. The adapter always "
                                 "trains in full precision. NF4 costs a little accuracy."));
    addRow(form, tr("Base weights:"), m_baseWeights, {QStringLiteral("training.base_weights")});

    m_general = FieldErrors::makeLabel(content);
    m_general->setObjectName(QStringLiteral("trainingError"));
    m_errors->setGeneralLabel(m_general);
    layout->addWidget(m_general);
    layout->addStretch(1);
    scroll->setWidget(content);
    outer->addWidget(scroll);

    connect(m_objective, &QComboBox::currentIndexChanged, this, &TrainingSettingsPanel::commit);
    connect(m_learningRate, &QLineEdit::editingFinished, this, &TrainingSettingsPanel::commit);
    connect(m_seed, &QLineEdit::editingFinished, this, &TrainingSettingsPanel::commit);
    connect(m_lengthMode, &QComboBox::currentIndexChanged, this, &TrainingSettingsPanel::commit);
    connect(m_schedule, &QComboBox::currentIndexChanged, this, &TrainingSettingsPanel::commit);
    connect(m_device, &QComboBox::currentIndexChanged, this, &TrainingSettingsPanel::commit);
    connect(m_checkpointing, &QCheckBox::toggled, this, &TrainingSettingsPanel::commit);
    connect(m_baseWeights, &QComboBox::currentIndexChanged, this, &TrainingSettingsPanel::commit);
    connect(m_document, &app::ProjectDocument::settingsChanged, this, &TrainingSettingsPanel::onSettingsChanged);
    onSettingsChanged();
}

void TrainingSettingsPanel::addRow(QFormLayout *form, const QString &label, QWidget *field, const QStringList &keys)
{
    m_errors->addRow(form, label, field, keys);
}

QDoubleSpinBox *TrainingSettingsPanel::addDouble(QFormLayout *form, const QString &label, const QString &name,
                                                 double min, double max, int decimals, const QStringList &keys)
{
    auto *box = new QDoubleSpinBox(this);
    box->setObjectName(name);
    box->setRange(min, max);
    box->setDecimals(decimals);
    connect(box, &QDoubleSpinBox::valueChanged, this, &TrainingSettingsPanel::commit);
    addRow(form, label, box, keys);
    return box;
}

QSpinBox *TrainingSettingsPanel::addInt(QFormLayout *form, const QString &label, const QString &name, int min, int max,
                                        const QStringList &keys)
{
    auto *box = new QSpinBox(this);
    box->setObjectName(name);
    box->setRange(min, max);
    connect(box, &QSpinBox::valueChanged, this, &TrainingSettingsPanel::commit);
    addRow(form, label, box, keys);
    return box;
}

void TrainingSettingsPanel::onSettingsChanged()
{
    const engine::RunSettings &s = m_document->settings();
    m_updating = true;
    m_objective->setCurrentIndex(std::max(0, m_objective->findData(QString::fromStdString(s.training.objective))));
    m_beta->setValue(s.training.beta);
    m_labelSmoothing->setValue(s.training.labelSmoothing);
    m_orpoLambda->setValue(s.training.orpoLambda);
    m_beta->setEnabled(s.training.objective == "dpo");
    m_labelSmoothing->setEnabled(s.training.objective == "dpo");
    m_orpoLambda->setEnabled(s.training.objective == "orpo");
    if (!m_learningRate->hasFocus())
        m_learningRate->setText(QString::number(s.optimizer.learningRate, 'g', 6));
    const bool bySteps = s.training.maxSteps > 0 || m_lengthMode->currentIndex() == 1;
    m_lengthMode->setCurrentIndex(bySteps ? 1 : 0);
    m_epochs->setValue(s.training.epochs);
    m_steps->setValue(int(s.training.maxSteps));
    m_epochs->setEnabled(!bySteps);
    m_steps->setEnabled(bySteps);
    m_batch->setValue(s.training.batchSize);
    m_accumulation->setValue(s.training.gradientAccumulation);
    m_schedule->setCurrentIndex(int(s.optimizer.schedule));
    m_warmup->setValue(s.optimizer.warmupRatio);
    m_weightDecay->setValue(s.optimizer.weightDecay);
    m_clip->setValue(s.optimizer.maxGradNorm);
    if (!m_seed->hasFocus())
        m_seed->setText(QString::number(s.training.seed)); // all 64 bits: a seed from a file stays as it is
    m_evalEvery->setValue(s.training.evalEvery);
    m_checkpointEvery->setValue(s.training.checkpointEvery);
    m_probeEvery->setValue(s.training.probeEvery);
    const int device = m_device->findData(QString::fromStdString(s.training.device));
    if (device < 0)
        m_device->addItem(QString::fromStdString(s.training.device), QString::fromStdString(s.training.device));
    m_device->setCurrentIndex(m_device->findData(QString::fromStdString(s.training.device)));
    m_threads->setValue(s.training.threads);
    m_processes->setValue(s.training.processes);
    m_checkpointing->setChecked(s.training.gradientCheckpointing);
    m_baseWeights->setCurrentIndex(std::max(0, m_baseWeights->findData(QString::fromStdString(s.training.baseWeights))));
    m_updating = false;

    engine::Status status = s.optimizer.validate();
    if (status)
        status = s.training.validate();
    m_errors->show(QString::fromStdString(status.message()));
}

void TrainingSettingsPanel::commit()
{
    if (m_updating)
        return;
    engine::RunSettings s = m_document->settings();
    bool ok = false;
    const double rate = QLocale().toDouble(m_learningRate->text().trimmed(), &ok);
    const double rateC = ok ? rate : m_learningRate->text().trimmed().toDouble(&ok);
    if (!ok) {
        m_errors->show(tr("optimizer.learning_rate: '%1' is not a number (hint: e.g. 2e-4)").arg(m_learningRate->text()));
        return;
    }
    s.optimizer.learningRate = rateC;
    s.training.objective = m_objective->currentData().toString().toStdString();
    s.training.beta = m_beta->value();
    s.training.labelSmoothing = m_labelSmoothing->value();
    s.training.orpoLambda = m_orpoLambda->value();
    const bool bySteps = m_lengthMode->currentIndex() == 1;
    s.training.epochs = m_epochs->value();
    s.training.maxSteps = bySteps ? (m_steps->value() > 0 ? m_steps->value() : 100) : 0;
    s.training.batchSize = m_batch->value();
    s.training.gradientAccumulation = m_accumulation->value();
    s.optimizer.schedule = engine::Schedule(m_schedule->currentIndex());
    s.optimizer.warmupRatio = m_warmup->value();
    s.optimizer.weightDecay = m_weightDecay->value();
    s.optimizer.maxGradNorm = m_clip->value();
    bool seedOk = false;
    s.training.seed = m_seed->text().trimmed().toULongLong(&seedOk);
    if (!seedOk) {
        m_errors->show(tr("training.seed: '%1' is not a whole number from 0 to 18446744073709551615 (hint: e.g. 42)")
                           .arg(m_seed->text()));
        return;
    }
    s.training.evalEvery = m_evalEvery->value();
    s.training.checkpointEvery = m_checkpointEvery->value();
    s.training.probeEvery = m_probeEvery->value();
    s.training.device = m_device->currentData().toString().toStdString();
    s.training.threads = m_threads->value();
    s.training.processes = m_processes->value();
    s.training.gradientCheckpointing = m_checkpointing->isChecked();
    s.training.baseWeights = m_baseWeights->currentData().toString().toStdString();
    m_document->setSettings(s);
}

QString TrainingSettingsPanel::errorFor(const QString &objectName) const
{
    if (objectName.isEmpty())
        return m_errors->generalMessage();
    const auto *field = findChild<QWidget *>(objectName);
    return field ? m_errors->messageFor(field) : QString();
}

} // namespace ui

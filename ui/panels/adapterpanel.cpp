#include "ui/panels/adapterpanel.h"

#include "app/qtstrings.h"

#include "ui/panels/fielderrors.h"
#include "ui/panels/modelpanel.h"

#include "app/projectdocument.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <map>
#include <regex>

namespace ui {

namespace {

using app::fromStd;

bool suffixMatch(const std::string &name, const std::string &entry)
{
    return name == entry || (name.size() > entry.size() && name.compare(name.size() - entry.size(), entry.size(), entry) == 0
                             && name[name.size() - entry.size() - 1] == '.');
}

// "0-3, 7" -> {0,1,2,3,7}; nullopt on anything else.
std::optional<std::vector<int>> parseLayers(const QString &text)
{
    std::vector<int> layers;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QStringList range = part.trimmed().split(QLatin1Char('-'));
        bool ok1 = false, ok2 = true;
        const int first = range.value(0).trimmed().toInt(&ok1);
        const int last = range.size() == 2 ? range[1].trimmed().toInt(&ok2) : first;
        if (!ok1 || !ok2 || range.size() > 2 || last < first || last - first > 10000)
            return std::nullopt;
        for (int layer = first; layer <= last; ++layer)
            layers.push_back(layer);
    }
    return layers;
}

QString formatLayers(const std::vector<int> &layers)
{
    QStringList parts;
    for (size_t i = 0; i < layers.size();) {
        size_t j = i;
        while (j + 1 < layers.size() && layers[j + 1] == layers[j] + 1)
            ++j;
        parts << (j == i ? QString::number(layers[i]) : QStringLiteral("%1-%2").arg(layers[i]).arg(layers[j]));
        i = j + 1;
    }
    return parts.join(QStringLiteral(", "));
}

} // namespace

AdapterPanel::AdapterPanel(app::ProjectDocument *document, QWidget *parent) : QWidget(parent), m_document(document)
{
    setObjectName(QStringLiteral("adapterPanel"));
    m_errors = new FieldErrors(this);
    auto *layout = new QHBoxLayout(this);
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(buildForm());
    splitter->addWidget(buildTree());
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({460, 600});
    layout->addWidget(splitter);
    connect(m_document, &app::ProjectDocument::settingsChanged, this, &AdapterPanel::onSettingsChanged);
    onSettingsChanged();
}

void AdapterPanel::addRow(QFormLayout *form, const QString &label, QWidget *field, const QStringList &keys)
{
    m_errors->addRow(form, label, field, keys);
}

QWidget *AdapterPanel::buildForm()
{
    auto *box = new QWidget(this);
    auto *outer = new QVBoxLayout(box);
    outer->addWidget(new QLabel(tr("<h2>Adapter</h2>"), box));
    auto *form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignRight);
    outer->addLayout(form);

    m_method = new QComboBox(box);
    m_method->setObjectName(QStringLiteral("method"));
    m_method->addItems({tr("LoRA"), tr("LoRA+"), tr("LoRA+ with automatic λ"), tr("Riemannian preconditioned LoRA")});
    addRow(form, tr("Method:"), m_method, {QStringLiteral("optimizer.name")});
    m_ratio = new QDoubleSpinBox(box);
    m_ratio->setObjectName(QStringLiteral("loraPlusRatio"));
    m_ratio->setRange(0.0, 1024.0);
    m_ratio->setDecimals(2);
    m_ratio->setPrefix(QStringLiteral("λ = "));
    addRow(form, tr("B/A rate ratio:"), m_ratio, {QStringLiteral("optimizer.loraplus_ratio")});
    m_ratioScope = new QComboBox(box);
    m_ratioScope->setObjectName(QStringLiteral("ratioScope"));
    m_ratioScope->addItem(tr("One λ for every B matrix"), int(engine::RatioScope::Global));
    m_ratioScope->addItem(tr("One λ per module type (q, k, v, …)"), int(engine::RatioScope::Module));
    addRow(form, tr("Automatic λ:"), m_ratioScope, {QStringLiteral("optimizer.loraplus_ratio_scope")});
    m_ratioHelp = new QLabel(box);
    m_ratioHelp->setObjectName(QStringLiteral("ratioHelp"));
    m_ratioHelp->setWordWrap(true);
    m_ratioHelp->setStyleSheet(QStringLiteral("color: palette(mid);"));
    form->addRow(QString(), m_ratioHelp);

    m_rank = new QSpinBox(box);
    m_rank->setObjectName(QStringLiteral("rank"));
    m_rank->setRange(0, 100000); // the engine's range check speaks for the field
    addRow(form, tr("Rank r:"), m_rank, {QStringLiteral("lora.rank")});
    m_alpha = new QDoubleSpinBox(box);
    m_alpha->setObjectName(QStringLiteral("alpha"));
    m_alpha->setRange(-1e6, 1e6);
    m_alpha->setDecimals(2);
    addRow(form, tr("Alpha α:"), m_alpha, {QStringLiteral("lora.alpha")});
    m_rsLora = new QCheckBox(tr("rsLoRA: scale by α/√r instead of α/r"), box);
    m_rsLora->setObjectName(QStringLiteral("rsLora"));
    form->addRow(QString(), m_rsLora);
    m_dropout = new QDoubleSpinBox(box);
    m_dropout->setObjectName(QStringLiteral("dropout"));
    m_dropout->setRange(-1.0, 2.0);
    m_dropout->setSingleStep(0.01);
    m_dropout->setDecimals(3);
    addRow(form, tr("Dropout:"), m_dropout, {QStringLiteral("lora.dropout")});
    m_init = new QComboBox(box);
    m_init->setObjectName(QStringLiteral("init"));
    for (int i = 0; i < 4; ++i)
        m_init->addItem(QLatin1String(engine::loraInitName(engine::LoraInit(i))), i);
    m_init->setToolTip(tr("kaiming: A random, B = 0 (PEFT). gaussian: A ~ N(0, 1/r²). reversed: B random, A = 0 "
                          "(the LoRA+ code). pissa: A and B from the top-r singular vectors of W."));
    addRow(form, tr("Initialisation:"), m_init, {QStringLiteral("PiSSA"), QStringLiteral("lora.init")});
    m_dora = new QCheckBox(tr("DoRA: learn a per-output magnitude too"), box);
    m_dora->setObjectName(QStringLiteral("dora"));
    addRow(form, QString(), m_dora, {QStringLiteral("DoRA")});
    m_layers = new QLineEdit(box);
    m_layers->setObjectName(QStringLiteral("layers"));
    m_layers->setPlaceholderText(tr("all layers (or e.g. 0-5, 8)"));
    addRow(form, tr("Layers:"), m_layers, {QStringLiteral("lora.layers_to_transform")});

    m_general = FieldErrors::makeLabel(box);
    m_general->setObjectName(QStringLiteral("adapterError"));
    m_errors->setGeneralLabel(m_general);
    outer->addWidget(m_general);
    outer->addStretch(1);

    connect(m_method, &QComboBox::currentIndexChanged, this, &AdapterPanel::commit);
    connect(m_ratio, &QDoubleSpinBox::valueChanged, this, &AdapterPanel::commit);
    connect(m_ratioScope, &QComboBox::currentIndexChanged, this, &AdapterPanel::commit);
    connect(m_rank, &QSpinBox::valueChanged, this, &AdapterPanel::commit);
    connect(m_alpha, &QDoubleSpinBox::valueChanged, this, &AdapterPanel::commit);
    connect(m_dropout, &QDoubleSpinBox::valueChanged, this, &AdapterPanel::commit);
    connect(m_init, &QComboBox::currentIndexChanged, this, &AdapterPanel::commit);
    connect(m_rsLora, &QCheckBox::toggled, this, &AdapterPanel::commit);
    connect(m_dora, &QCheckBox::toggled, this, &AdapterPanel::commit);
    connect(m_layers, &QLineEdit::editingFinished, this, &AdapterPanel::commit);
    return box;
}

QWidget *AdapterPanel::buildTree()
{
    auto *box = new QWidget(this);
    auto *layout = new QVBoxLayout(box);
    layout->addWidget(new QLabel(tr("<b>Adapted projections</b> — tick the module types to adapt"), box));
    m_tree = new QTreeWidget(box);
    m_tree->setObjectName(QStringLiteral("moduleTree"));
    m_tree->setHeaderLabels({tr("Module"), tr("Matrices"), tr("Shape"), tr("Adapter parameters")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->setUniformRowHeights(true);
    layout->addWidget(m_tree, 1);
    m_count = new QLabel(box);
    m_count->setObjectName(QStringLiteral("trainableCount"));
    m_count->setWordWrap(true);
    layout->addWidget(m_count);
    connect(m_tree, &QTreeWidget::itemChanged, this, &AdapterPanel::onItemChanged);
    return box;
}

std::vector<std::string> AdapterPanel::defaultTargets(const engine::ModelInfo &info)
{
    for (const std::string &name : info.linearNames)
        if (suffixMatch(name, "c_attn"))
            return {"c_attn"};
    return {"q_proj", "v_proj"};
}

bool AdapterPanel::isTargeted(const engine::LoraConfig &config, const engine::LinearSpec &linear,
                              const std::vector<std::string> &defaults)
{
    if (!config.layersToTransform.empty()
        && std::find(config.layersToTransform.begin(), config.layersToTransform.end(), linear.layer) == config.layersToTransform.end())
        return false;
    switch (config.targetMode) {
    case engine::TargetMode::AllLinear: return linear.layer >= 0;
    case engine::TargetMode::Regex:
        try {
            return std::regex_match(linear.name, std::regex(config.targetRegex));
        } catch (const std::regex_error &) {
            return false;
        }
    case engine::TargetMode::Suffixes: break;
    }
    const auto &targets = config.targetModules.empty() ? defaults : config.targetModules;
    return std::any_of(targets.begin(), targets.end(), [&](const std::string &t) { return suffixMatch(linear.name, t); });
}

void AdapterPanel::onSettingsChanged()
{
    const engine::RunSettings &s = m_document->settings();
    m_updating = true;
    const int method = s.optimizer.kind == engine::OptimizerKind::Riemannian ? 3
        : s.optimizer.autoRatio                                            ? 2
        : s.optimizer.loraPlusRatio == 1.0                                 ? 0
                                                                           : 1;
    m_method->setCurrentIndex(method);
    m_ratio->setValue(s.optimizer.loraPlusRatio);
    m_ratioScope->setCurrentIndex(m_ratioScope->findData(int(s.optimizer.ratioScope)));
    describeMethod(method);
    m_rank->setValue(s.lora.rank);
    m_alpha->setValue(s.lora.alpha);
    m_rsLora->setChecked(s.lora.rsLora);
    m_dropout->setValue(s.lora.dropout);
    m_init->setCurrentIndex(m_init->findData(int(s.lora.init)));
    m_dora->setChecked(s.lora.dora);
    if (!m_layers->hasFocus())
        m_layers->setText(formatLayers(s.lora.layersToTransform));
    m_updating = false;

    if (s.modelPath != m_modelPath) {
        m_modelPath = s.modelPath;
        m_info.reset();
        if (!m_modelPath.empty())
            if (auto info = engine::inspectModel(m_modelPath))
                m_info = std::move(info).value();
        rebuildTree();
    }
    updateCounts();
    engine::Status status = s.lora.validate();
    if (status)
        status = s.optimizer.validate();
    if (status && m_info && m_targeted == 0)
        status = engine::Status::failure(tr("lora: the targets match no projection of this model (hint: tick at least one module type)").toStdString());
    m_errors->show(fromStd(status.message()));
}

// The ratio field and its help follow the method: a fixed λ, the automatic
// λ's start value and scope, or no λ at all.
void AdapterPanel::describeMethod(int method)
{
    m_ratio->setEnabled(method == 1 || method == 2);
    m_ratio->setPrefix(method == 2 ? tr("start at λ = ") : QStringLiteral("λ = "));
    m_ratioScope->setEnabled(method == 2);
    switch (method) {
    case 0:
        m_ratioHelp->setText(tr("Plain LoRA: A and B learn at the same rate (λ = 1)."));
        break;
    case 1:
        m_ratioHelp->setText(tr("LoRA+ updates B with a λ times larger learning rate than A (η_B = λ·η_A), which "
                                "makes feature learning efficient in wide models. The paper recommends λ ≈ 16 "
                                "(2⁴); values of 2 to 32 are reasonable. λ = 1 is plain LoRA."));
        break;
    case 2:
        m_ratioHelp->setText(tr("λ sets itself, starting here: while B's new gradients keep agreeing with its last "
                                "updates its steps are too short and λ goes up; when they turn against them λ comes "
                                "down (every probe interval, within 1 to 256). The dashboard plots λ as it goes."));
        break;
    default:
        m_ratioHelp->setText(tr("Riemannian preconditioning (Zhang & Pilanci, 2024) scales A's and B's gradients by "
                                "small r×r matrices so that both learn well at one learning rate: there is no λ."));
        break;
    }
}

void AdapterPanel::commit()
{
    if (m_updating)
        return;
    engine::RunSettings s = m_document->settings();
    const int method = m_method->currentIndex();
    s.optimizer.kind = method == 3 ? engine::OptimizerKind::Riemannian : engine::OptimizerKind::AdamW;
    s.optimizer.autoRatio = method == 2;
    s.optimizer.ratioScope = engine::RatioScope(m_ratioScope->currentData().toInt());
    if (method == 0 || method == 3)
        s.optimizer.loraPlusRatio = 1.0;
    else // LoRA+ coming from plain LoRA starts at the paper's 16
        s.optimizer.loraPlusRatio = s.optimizer.loraPlusRatio == 1.0 && m_ratio->value() == 1.0 ? 16.0 : m_ratio->value();
    if (s.optimizer.autoRatio && s.training.probeEvery <= 0)
        s.training.probeEvery = 10; // the automatic λ follows the δ-terms measured at every probe
    s.lora.rank = m_rank->value();
    s.lora.alpha = m_alpha->value();
    s.lora.rsLora = m_rsLora->isChecked();
    s.lora.dropout = m_dropout->value();
    s.lora.init = engine::LoraInit(m_init->currentData().toInt());
    s.lora.dora = m_dora->isChecked();
    if (auto layers = parseLayers(m_layers->text())) {
        s.lora.layersToTransform = *layers;
    } else {
        m_errors->show(tr("lora.layers_to_transform: '%1' is not a list of layers (hint: e.g. 0-5, 8)").arg(m_layers->text()));
        return;
    }
    m_document->setSettings(s);
}

void AdapterPanel::rebuildTree()
{
    m_updating = true;
    m_tree->clear();
    if (m_info) {
        std::map<std::string, QTreeWidgetItem *> kinds;
        for (const engine::LinearSpec &linear : m_info->linears) {
            const std::string kind = engine::linearShortName(linear.name);
            QTreeWidgetItem *&parent = kinds[kind];
            if (!parent) {
                parent = new QTreeWidgetItem(m_tree, {fromStd(kind)});
                parent->setData(0, Qt::UserRole, fromStd(kind));
                parent->setFlags(parent->flags() | Qt::ItemIsUserCheckable);
            }
            auto *child = new QTreeWidgetItem(parent, {linear.layer >= 0 ? tr("layer %1").arg(linear.layer) : fromStd(linear.name)});
            child->setData(0, Qt::UserRole + 1, fromStd(linear.name));
            child->setText(2, QStringLiteral("%1 × %2").arg(linear.inFeatures).arg(linear.outFeatures));
        }
    }
    m_updating = false;
}

void AdapterPanel::updateCounts()
{
    m_trainable = 0;
    m_targeted = 0;
    if (!m_info) {
        m_count->setText(tr("Choose a model to see its projections."));
        return;
    }
    const engine::RunSettings &s = m_document->settings();
    const std::vector<std::string> defaults = defaultTargets(*m_info);
    m_updating = true;
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        QTreeWidgetItem *parent = m_tree->topLevelItem(i);
        qint64 kindParams = 0;
        int kindCount = 0;
        for (int c = 0; c < parent->childCount(); ++c) {
            QTreeWidgetItem *child = parent->child(c);
            const std::string name = child->data(0, Qt::UserRole + 1).toString().toStdString();
            const auto linear = std::find_if(m_info->linears.begin(), m_info->linears.end(), [&](const auto &l) { return l.name == name; });
            const bool on = isTargeted(s.lora, *linear, defaults);
            const qint64 params = on ? qint64(s.lora.rankFor(name)) * (linear->inFeatures + linear->outFeatures) + (s.lora.dora ? linear->outFeatures : 0) : 0;
            child->setText(1, on ? tr("adapted") : QString());
            child->setText(3, on ? formatCount(double(params)) : QString());
            kindParams += params;
            kindCount += on ? 1 : 0;
        }
        parent->setCheckState(0, kindCount == 0 ? Qt::Unchecked : kindCount == parent->childCount() ? Qt::Checked : Qt::PartiallyChecked);
        parent->setText(1, tr("%1 of %2").arg(kindCount).arg(parent->childCount()));
        parent->setText(3, formatCount(double(kindParams)));
        m_trainable += kindParams;
        m_targeted += kindCount;
    }
    m_updating = false;
    const double share = 100.0 * double(m_trainable) / double(std::max<qint64>(1, m_info->parameterCount));
    m_count->setText(tr("<b>%1 trainable parameters</b> in %2 matrices — %3% of the model's %4%5")
                         .arg(formatCount(double(m_trainable))).arg(m_targeted).arg(share, 0, 'g', 3)
                         .arg(formatCount(double(m_info->parameterCount)))
                         .arg(s.lora.targetModules.empty() && s.lora.targetMode == engine::TargetMode::Suffixes ? tr(" (the model family's default targets)") : QString()));
}

void AdapterPanel::onItemChanged(QTreeWidgetItem *item, int column)
{
    if (m_updating || column != 0 || item->parent())
        return;
    engine::RunSettings s = m_document->settings();
    std::vector<std::string> targets;
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        QTreeWidgetItem *kind = m_tree->topLevelItem(i);
        const bool on = kind == item ? item->checkState(0) != Qt::Unchecked : kind->checkState(0) != Qt::Unchecked;
        if (on)
            targets.push_back(kind->data(0, Qt::UserRole).toString().toStdString());
    }
    if (targets.empty()) { // an empty list would mean "the family's defaults"
        updateCounts();
        m_errors->show(tr("lora: at least one module type must be adapted (hint: tick one, e.g. q_proj and v_proj)"));
        return;
    }
    s.lora.targetMode = engine::TargetMode::Suffixes;
    s.lora.targetModules = targets;
    m_document->setSettings(s);
}

QString AdapterPanel::errorFor(const QString &objectName) const
{
    if (objectName.isEmpty())
        return m_errors->generalMessage();
    const auto *field = findChild<QWidget *>(objectName);
    return field ? m_errors->messageFor(field) : QString();
}

} // namespace ui

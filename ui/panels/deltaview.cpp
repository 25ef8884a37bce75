#include "ui/panels/deltaview.h"

#include "ui/plots/heatmapplot.h"
#include "ui/plots/liveplot.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ui {

namespace {

constexpr int kMaxCurves = 12;       // groups drawn at once; a filter narrows the rest
constexpr size_t kMaxHistory = 4000; // stored steps; older ones are thinned to every other

double log10Ratio(float numerator, float denominator)
{
    if (!(numerator > 0.0f) || !(denominator > 0.0f) || !std::isfinite(numerator) || !std::isfinite(denominator))
        return std::nan("");
    return std::log10(double(numerator) / double(denominator));
}

void keepFinite(std::vector<float> &last, const std::vector<float> &values)
{
    if (last.size() != values.size())
        last.assign(values.size(), std::nanf(""));
    for (size_t i = 0; i < values.size(); ++i)
        if (std::isfinite(values[i]))
            last[i] = values[i];
}

} // namespace

DeltaView::DeltaView(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("deltaView"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *controls = new QHBoxLayout;
    m_grouping = new QComboBox(this);
    m_grouping->setObjectName(QStringLiteral("grouping"));
    m_grouping->addItems({tr("Each matrix"), tr("By module type"), tr("By layer"), tr("All matrices")});
    m_grouping->setCurrentIndex(1);
    m_which = new QComboBox(this);
    m_which->addItems({tr("‖ΔA‖ and ‖ΔB‖"), tr("‖ΔA‖ only"), tr("‖ΔB‖ only")});
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("matrixFilter"));
    m_filter->setPlaceholderText(tr("filter matrices, e.g. q_proj or layers.3."));
    m_filter->setClearButtonEnabled(true);
    m_log = new QCheckBox(tr("Log scale"), this);
    m_log->setChecked(true);
    m_quantity = new QComboBox(this);
    m_quantity->setObjectName(QStringLiteral("heatmapQuantity"));
    m_quantity->addItems({QStringLiteral("log10(δ2/δ1)"), QStringLiteral("log10(‖ΔB‖/‖ΔA‖)")});
    controls->addWidget(new QLabel(tr("Show:"), this));
    controls->addWidget(m_grouping);
    controls->addWidget(m_which);
    controls->addWidget(m_filter, 1);
    controls->addWidget(m_log);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Heatmap:"), this));
    controls->addWidget(m_quantity);
    layout->addLayout(controls);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    m_norms = new LivePlot(tr("Adapter updates per step"), splitter);
    m_norms->setAxisLabels(tr("step"), tr("Frobenius norm"));
    m_norms->setLogScale(true);
    m_heatmap = new HeatmapPlot(splitter);
    splitter->addWidget(m_norms);
    splitter->addWidget(m_heatmap);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("deltaNote"));
    m_note->setWordWrap(true);
    layout->addWidget(m_note);

    m_heatmapTimer = new QTimer(this);
    m_heatmapTimer->setInterval(100);
    connect(m_heatmapTimer, &QTimer::timeout, this, [this] {
        if (m_heatmapStale)
            updateHeatmap();
    });
    m_heatmapTimer->start();
    connect(m_grouping, &QComboBox::currentIndexChanged, this, &DeltaView::rebuildCurves);
    connect(m_which, &QComboBox::currentIndexChanged, this, &DeltaView::rebuildCurves);
    connect(m_filter, &QLineEdit::textChanged, this, &DeltaView::rebuildCurves);
    connect(m_log, &QCheckBox::toggled, this, [this](bool on) { m_norms->setLogScale(on); });
    connect(m_quantity, &QComboBox::currentIndexChanged, this, &DeltaView::updateHeatmap);
    updateHeatmap();
}

void DeltaView::setMatrixLayout(const MatrixLayout &layout)
{
    m_layout = layout;
    m_heatmap->setGrid(distinctKinds(layout), layerCount(layout));
    clear();
}

void DeltaView::clear()
{
    m_steps.clear();
    m_deltaA.clear();
    m_deltaB.clear();
    m_lastDelta1.clear();
    m_lastDelta2.clear();
    m_lastA.clear();
    m_lastB.clear();
    rebuildCurves();
    m_heatmapStale = true;
}

void DeltaView::setGrouping(MatrixGrouping grouping) { m_grouping->setCurrentIndex(int(grouping)); }

std::vector<MatrixGroup> DeltaView::visibleGroups() const
{
    const QString filter = m_filter->text().trimmed();
    std::vector<int> kept;
    for (size_t i = 0; i < m_layout.names.size(); ++i)
        if (filter.isEmpty() || QString::fromStdString(m_layout.names[i]).contains(filter))
            kept.push_back(int(i));
    std::vector<MatrixGroup> groups = groupMatrices(m_layout, MatrixGrouping(m_grouping->currentIndex()));
    std::vector<MatrixGroup> result;
    for (MatrixGroup &group : groups) {
        std::vector<int> indices;
        for (int index : group.indices)
            if (std::find(kept.begin(), kept.end(), index) != kept.end())
                indices.push_back(index);
        if (!indices.empty())
            result.push_back({group.label, indices});
    }
    return result;
}

void DeltaView::rebuildCurves()
{
    m_norms->removeCurves();
    const std::vector<MatrixGroup> groups = visibleGroups();
    m_groups.assign(groups.begin(), groups.begin() + std::min<size_t>(groups.size(), kMaxCurves));
    const int which = m_which->currentIndex();
    for (size_t g = 0; g < m_groups.size(); ++g) {
        const QColor color = LivePlot::palette(int(g));
        if (which != 2)
            m_norms->addCurve(QStringLiteral("ΔA %1").arg(m_groups[g].label), color, true);
        if (which != 1)
            m_norms->addCurve(QStringLiteral("ΔB %1").arg(m_groups[g].label), color, false);
    }
    for (size_t row = 0; row < m_steps.size(); ++row)
        appendRow(row);
    m_note->setText(groups.size() > m_groups.size()
                        ? tr("Showing %1 of %2 curves: type a filter to choose matrices.").arg(m_groups.size()).arg(groups.size())
                        : tr("Dashed: ‖ΔA‖, solid: ‖ΔB‖ (Frobenius norm of the step's change; groups combine as √Σ‖·‖²)."));
    m_norms->markStale();
}

void DeltaView::appendRow(size_t row)
{
    const int which = m_which->currentIndex();
    int curve = 0;
    for (const MatrixGroup &group : m_groups) {
        if (which != 2)
            m_norms->append(curve++, m_steps[row], groupNorm(m_deltaA[row], group.indices));
        if (which != 1)
            m_norms->append(curve++, m_steps[row], groupNorm(m_deltaB[row], group.indices));
    }
}

void DeltaView::addStep(double step, const std::vector<float> &deltaA, const std::vector<float> &deltaB,
                        const std::vector<float> &delta1, const std::vector<float> &delta2)
{
    if (m_steps.size() >= kMaxHistory) { // thin the history: keep every other stored step
        size_t kept = 0;
        for (size_t i = 0; i < m_steps.size(); i += 2, ++kept) {
            m_steps[kept] = m_steps[i];
            m_deltaA[kept] = std::move(m_deltaA[i]);
            m_deltaB[kept] = std::move(m_deltaB[i]);
        }
        m_steps.resize(kept);
        m_deltaA.resize(kept);
        m_deltaB.resize(kept);
    }
    m_steps.push_back(step);
    m_deltaA.push_back(deltaA);
    m_deltaB.push_back(deltaB);
    appendRow(m_steps.size() - 1);
    keepFinite(m_lastA, deltaA);
    keepFinite(m_lastB, deltaB);
    if (!delta1.empty())
        keepFinite(m_lastDelta1, delta1);
    if (!delta2.empty())
        keepFinite(m_lastDelta2, delta2);
    m_heatmapStale = true;
}

void DeltaView::updateHeatmap()
{
    m_heatmapStale = false;
    const bool probes = m_quantity->currentIndex() == 0;
    m_heatmap->setQuantity(probes ? tr("log10(δ2/δ1): B's share of the feature update") : tr("log10(‖ΔB‖/‖ΔA‖)"));
    m_heatmap->clearCells();
    const std::vector<std::string> kinds = distinctKinds(m_layout);
    const std::vector<float> &numerator = probes ? m_lastDelta2 : m_lastB;
    const std::vector<float> &denominator = probes ? m_lastDelta1 : m_lastA;
    for (size_t i = 0; i < m_layout.names.size() && i < numerator.size() && i < denominator.size(); ++i) {
        const int kind = int(std::find(kinds.begin(), kinds.end(), m_layout.kinds[i]) - kinds.begin());
        m_heatmap->setCell(m_layout.layers[i], kind, log10Ratio(numerator[i], denominator[i]));
    }
    m_heatmap->refresh();
}

} // namespace ui

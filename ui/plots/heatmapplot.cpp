#include "ui/plots/heatmapplot.h"

#include <cmath>
#include <limits>

namespace ui {

HeatmapPlot::HeatmapPlot(QWidget *parent) : QCustomPlot(parent)
{
    setObjectName(QStringLiteral("heatmap"));
    setMinimumSize(260, 200);
    plotLayout()->insertRow(0);
    m_title = new QCPTextElement(this, QString(), QFont(font().family(), font().pointSize(), QFont::DemiBold));
    plotLayout()->addElement(0, 0, m_title);
    m_map = new QCPColorMap(xAxis, yAxis);
    m_scale = new QCPColorScale(this);
    plotLayout()->addElement(1, 1, m_scale);
    m_scale->setType(QCPAxis::atRight);
    m_map->setColorScale(m_scale);
    QCPColorGradient gradient(QCPColorGradient::gpPolar);
    gradient.setNanHandling(QCPColorGradient::nhTransparent);
    m_map->setGradient(gradient);
    m_map->setInterpolate(false);
    yAxis->setLabel(tr("layer"));
    auto margins = new QCPMarginGroup(this);
    axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);

    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::WindowText);
    setBackground(pal.color(QPalette::Base));
    m_title->setTextColor(text);
    for (QCPAxis *axis : {xAxis, yAxis, m_scale->axis()}) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->grid()->setVisible(false);
    }
}

void HeatmapPlot::setGrid(const std::vector<std::string> &kinds, int layers)
{
    m_kinds = int(kinds.size());
    m_layers = layers;
    m_map->data()->setSize(std::max(1, m_kinds), std::max(1, m_layers));
    m_map->data()->setRange(QCPRange(0, std::max(0, m_kinds - 1)), QCPRange(0, std::max(0, m_layers - 1)));
    clearCells();
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int i = 0; i < m_kinds; ++i)
        ticker->addTick(i, QString::fromStdString(kinds[size_t(i)]));
    xAxis->setTicker(ticker);
    xAxis->setTickLabelRotation(m_kinds > 4 ? 30 : 0);
    xAxis->setSubTicks(false);
    xAxis->setRange(-0.5, std::max(0, m_kinds - 1) + 0.5);
    yAxis->setRange(-0.5, std::max(0, m_layers - 1) + 0.5);
    QSharedPointer<QCPAxisTickerFixed> layerTicker(new QCPAxisTickerFixed);
    layerTicker->setTickStep(std::max(1, m_layers / 8));
    yAxis->setTicker(layerTicker);
}

void HeatmapPlot::setCell(int layer, int kindIndex, double value)
{
    if (layer >= 0 && layer < m_layers && kindIndex >= 0 && kindIndex < m_kinds)
        m_map->data()->setCell(kindIndex, layer, value);
}

void HeatmapPlot::setQuantity(const QString &name)
{
    m_title->setText(name);
    m_scale->axis()->setLabel(name);
}

void HeatmapPlot::clearCells()
{
    m_map->data()->fill(std::numeric_limits<double>::quiet_NaN());
}

int HeatmapPlot::filledCells() const
{
    int filled = 0;
    for (int k = 0; k < m_kinds; ++k)
        for (int l = 0; l < m_layers; ++l)
            filled += std::isfinite(m_map->data()->cell(k, l)) ? 1 : 0;
    return filled;
}

void HeatmapPlot::refresh()
{
    double extent = 0.0;
    for (int k = 0; k < m_kinds; ++k)
        for (int l = 0; l < m_layers; ++l) {
            const double v = m_map->data()->cell(k, l);
            if (std::isfinite(v))
                extent = std::max(extent, std::abs(v));
        }
    m_map->setDataRange(QCPRange(-std::max(extent, 0.1), std::max(extent, 0.1))); // symmetric: 0 is white
    replot(QCustomPlot::rpQueuedReplot);
}

} // namespace ui

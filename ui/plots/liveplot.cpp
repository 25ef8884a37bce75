#include "ui/plots/liveplot.h"

#include "ui/plots/plotexport.h"

#include <QMenu>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace ui {

namespace {

constexpr int kRedrawIntervalMs = 100; // at most 10 redraws a second

} // namespace

LivePlot::LivePlot(const QString &title, QWidget *parent) : QCustomPlot(parent)
{
    setObjectName(title);
    setMinimumSize(260, 180);
    plotLayout()->insertRow(0);
    m_title = new QCPTextElement(this, title, QFont(font().family(), font().pointSize(), QFont::DemiBold));
    plotLayout()->addElement(0, 0, m_title);
    legend->setVisible(false);
    legend->setFont(QFont(font().family(), qMax(7, font().pointSize() - 1)));
    // The legend goes in a row of its own under the axes, entries side by
    // side: inside the axes it covered the curves of a small plot.
    plotLayout()->addElement(2, 0, legend); // takes it out of the axis rect's inset layout
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setRowSpacing(0);
    legend->setColumnSpacing(8);
    legend->setMargins(QMargins(4, 2, 4, 2));
    plotLayout()->setRowStretchFactor(2, 0.001);
    setNoAntialiasingOnDrag(true);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    setContextMenuPolicy(Qt::CustomContextMenu);
    connect(this, &QWidget::customContextMenuRequested, this, &LivePlot::showMenu);
    applyTheme();

    m_timer = new QTimer(this);
    m_timer->setInterval(kRedrawIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &LivePlot::refresh);
    m_timer->start();
}

QColor LivePlot::palette(int index)
{
    static const QColor colors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                                    QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                    QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22),
                                    QColor(0x17, 0xbe, 0xcf)};
    return colors[index % 10];
}

void LivePlot::applyTheme()
{
    const QPalette pal = QWidget::palette();
    const QColor text = pal.color(QPalette::WindowText);
    QColor grid = text;
    grid.setAlpha(40);
    setBackground(pal.color(QPalette::Base));
    legend->setBrush(pal.color(QPalette::Base));
    legend->setTextColor(text);
    legend->setBorderPen(QPen(grid));
    m_title->setTextColor(text);
    for (QCPAxis *axis : {xAxis, yAxis, yAxis2}) {
        axis->setBasePen(QPen(text));
        axis->setTickPen(QPen(text));
        axis->setSubTickPen(QPen(text));
        axis->setTickLabelColor(text);
        axis->setLabelColor(text);
        axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    }
}

void LivePlot::changeEvent(QEvent *event)
{
    QCustomPlot::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyTheme();
        replot(QCustomPlot::rpQueuedReplot);
    }
}

// As many legend columns as the widest entry allows at this width.
void LivePlot::fitLegend()
{
    int widest = 1;
    for (int i = 0; i < legend->itemCount(); ++i)
        if (QCPAbstractLegendItem *item = legend->item(i)) // a grid cell may be empty
            widest = std::max(widest, item->minimumOuterSizeHint().width());
    const int columns = std::max(1, (width() - 8) / (widest + legend->columnSpacing()));
    if (columns != legend->wrap()) {
        legend->setWrap(columns);
        legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true); // re-flows the entries
    }
}

void LivePlot::resizeEvent(QResizeEvent *event)
{
    fitLegend();
    QCustomPlot::resizeEvent(event);
}

int LivePlot::addCurve(const QString &name, const QColor &color, bool dashed, bool scatter)
{
    QCPGraph *graph = addGraph();
    graph->setName(name);
    QPen pen(color, dashed ? 1.2 : 1.8);
    if (dashed)
        pen.setStyle(Qt::DashLine);
    graph->setPen(pen);
    if (scatter) {
        graph->setLineStyle(QCPGraph::lsLine);
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, color, 6));
    }
    m_series.emplace_back();
    legend->setVisible(graphCount() > 1);
    fitLegend();
    markStale();
    return graphCount() - 1;
}

int LivePlot::addRightAxisCurve(const QString &name, const QColor &color, const QString &axisLabel)
{
    if (!yAxis2->visible()) {
        yAxis2->setVisible(true);
        yAxis2->setScaleType(QCPAxis::stLogarithmic);
        yAxis2->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        yAxis2->setLabel(axisLabel);
    }
    const int index = addCurve(name, color, true);
    graph(index)->setValueAxis(yAxis2);
    return index;
}

void LivePlot::removeCurves()
{
    yAxis2->setVisible(false);
    clearGraphs();
    m_series.clear();
    legend->setVisible(false);
    markStale();
}

void LivePlot::append(int curve, double x, double y)
{
    m_series[size_t(curve)].append(x, y);
    m_stale = true;
}

void LivePlot::setCurvePoints(int curve, const QVector<double> &xs, const QVector<double> &ys)
{
    BoundedSeries &series = m_series[size_t(curve)];
    series.clear();
    for (int i = 0; i < xs.size() && i < ys.size(); ++i)
        series.append(xs[i], ys[i]);
    m_stale = true;
}

void LivePlot::clearData()
{
    for (BoundedSeries &series : m_series)
        series.clear();
    m_stale = true;
}

void LivePlot::setLogScale(bool log)
{
    m_log = log;
    yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log)
        yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
        yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    m_stale = true;
}

void LivePlot::setAxisLabels(const QString &x, const QString &y)
{
    xAxis->setLabel(x);
    yAxis->setLabel(y);
}

bool LivePlot::refresh()
{
    if (!m_stale)
        return false;
    m_stale = false;
    for (int i = 0; i < graphCount(); ++i) {
        const BoundedSeries &series = m_series[size_t(i)];
        QVector<double> xs = series.xs();
        QVector<double> ys = series.ys();
        if (m_log) { // a log axis cannot show zero or negative values
            QVector<double> keptX, keptY;
            for (int k = 0; k < xs.size(); ++k)
                if (ys[k] > 0) {
                    keptX << xs[k];
                    keptY << ys[k];
                }
            xs.swap(keptX);
            ys.swap(keptY);
        }
        graph(i)->setData(xs, ys, true);
    }
    rescale();
    replot(QCustomPlot::rpQueuedReplot);
    ++m_redraws;
    return true;
}

void LivePlot::rescale()
{
    bool any = false;
    for (int i = 0; i < graphCount(); ++i)
        any = any || !graph(i)->data()->isEmpty();
    if (!any)
        return;
    rescaleAxes(true);
    const QCPRange y = yAxis->range();
    if (m_log)
        yAxis->setRange(y.lower / 1.5, y.upper * 1.5);
    else {
        const double pad = y.size() > 0 ? y.size() * 0.06 : std::max(1e-9, std::abs(y.center()) * 0.1);
        yAxis->setRange(y.lower - pad, y.upper + pad);
    }
    if (yAxis2->visible()) {
        const QCPRange right = yAxis2->range();
        yAxis2->setRange(right.lower / 1.5, right.upper * 1.5);
    }
}

void LivePlot::showMenu(const QPoint &pos)
{
    QMenu menu(this);
    menu.addAction(tr("Save Plot As…"), this, [this] { savePlotInteractively(this, this, objectName()); });
    menu.addAction(tr("Fit to Data"), this, [this] { rescale(); replot(); });
    QAction *log = menu.addAction(tr("Logarithmic Scale"), this, [this](bool on) { setLogScale(on); refresh(); });
    log->setCheckable(true);
    log->setChecked(m_log);
    menu.exec(mapToGlobal(pos));
}

} // namespace ui

// LivePlot: a QCustomPlot for metrics that grow while a run trains. Each curve
// keeps a BoundedSeries (fixed memory, averaged buckets); appending only marks
// the plot stale, and a timer redraws stale plots at most 10 times a second
// (STYLE.md §6). A context menu saves the plot as PNG, SVG or PDF.
#pragma once

#include "ui/plots/boundedseries.h"

#include <qcustomplot.h>

#include <QString>
#include <vector>

namespace ui {

class LivePlot : public QCustomPlot
{
    Q_OBJECT

public:
    explicit LivePlot(const QString &title, QWidget *parent = nullptr);

    // Adds a curve; returns its index. A dashed curve is drawn thinner and dashed.
    int addCurve(const QString &name, const QColor &color, bool dashed = false, bool scatter = false);
    // Adds a dashed curve on a second, logarithmic y axis at the right, shown
    // with the first such curve (a ratio next to the rates it relates).
    int addRightAxisCurve(const QString &name, const QColor &color, const QString &axisLabel);
    void removeCurves();
    int curveCount() const { return int(m_series.size()); }
    void append(int curve, double x, double y);
    void setCurvePoints(int curve, const QVector<double> &xs, const QVector<double> &ys);
    const BoundedSeries &series(int curve) const { return m_series[size_t(curve)]; }
    void setLogScale(bool log);
    bool logScale() const { return m_log; }
    void setAxisLabels(const QString &x, const QString &y);
    void clearData();
    // Redraws on the next tick if anything changed.
    void markStale() { m_stale = true; }
    // Redraws now when stale (the timer calls it); returns true if it redrew.
    bool refresh();
    int redrawCount() const { return m_redraws; }

    // The pen colours of the house palette, by index.
    static QColor palette(int index);

protected:
    void changeEvent(QEvent *event) override; // follows light/dark palette changes
    void resizeEvent(QResizeEvent *event) override; // the legend's columns follow the width

private:
    void showMenu(const QPoint &pos);
    void applyTheme();
    void rescale();
    void fitLegend();

    QCPTextElement *m_title = nullptr;
    std::vector<BoundedSeries> m_series;
    bool m_stale = false;
    bool m_log = false;
    int m_redraws = 0;
    QTimer *m_timer = nullptr;
};

} // namespace ui

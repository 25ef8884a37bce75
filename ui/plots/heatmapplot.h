// HeatmapPlot: a layer × module-type colour map (QCPColorMap) of one value per
// adapted matrix, e.g. log10(δ2/δ1). Diverging colours centred on zero, a
// colour scale with the quantity's name, and NaN cells left blank. Redraws
// are requested through refresh(); callers cap the rate.
#pragma once

#include <qcustomplot.h>

#include <string>
#include <vector>

namespace ui {

class HeatmapPlot : public QCustomPlot
{
    Q_OBJECT

public:
    explicit HeatmapPlot(QWidget *parent = nullptr);

    // Columns = module kinds, rows = layers.
    void setGrid(const std::vector<std::string> &kinds, int layers);
    void setCell(int layer, int kindIndex, double value);
    void setQuantity(const QString &name);
    void clearCells();
    void refresh();
    int filledCells() const;

private:
    QCPColorMap *m_map = nullptr;
    QCPColorScale *m_scale = nullptr;
    QCPTextElement *m_title = nullptr;
    int m_kinds = 0;
    int m_layers = 0;
};

} // namespace ui

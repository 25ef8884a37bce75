// DeltaView: the δ view of a run — ‖ΔA‖ and ‖ΔB‖ (the per-step change of each
// adapted matrix) over steps, per matrix or aggregated by module type, by
// layer or over all matrices, on a log scale; and a layer × module heatmap of
// log10(δ2/δ1) (how much of the feature update comes from B versus A, from the
// probes) or log10(‖ΔB‖/‖ΔA‖), from the newest step that has them. Keeps a
// thinned history so regrouping redraws the whole run; redraws ≤ 10 Hz.
#pragma once

#include "ui/plots/matrixgroups.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QTimer;

namespace ui {

class HeatmapPlot;
class LivePlot;

class DeltaView : public QWidget
{
    Q_OBJECT

public:
    explicit DeltaView(QWidget *parent = nullptr);

    void setMatrixLayout(const MatrixLayout &layout);
    void clear();
    // One step's per-matrix values (NaN where not measured). delta1/delta2 may be empty.
    void addStep(double step, const std::vector<float> &deltaA, const std::vector<float> &deltaB,
                 const std::vector<float> &delta1, const std::vector<float> &delta2);
    void setGrouping(MatrixGrouping grouping);

    LivePlot *normPlot() const { return m_norms; }
    HeatmapPlot *heatmap() const { return m_heatmap; }
    int storedSteps() const { return int(m_steps.size()); }

private:
    void rebuildCurves();
    void appendRow(size_t row);
    void updateHeatmap();
    std::vector<MatrixGroup> visibleGroups() const;

    MatrixLayout m_layout;
    std::vector<double> m_steps;
    std::vector<std::vector<float>> m_deltaA, m_deltaB;
    std::vector<float> m_lastDelta1, m_lastDelta2, m_lastA, m_lastB;
    std::vector<MatrixGroup> m_groups;
    QComboBox *m_grouping = nullptr;
    QComboBox *m_which = nullptr;
    QLineEdit *m_filter = nullptr;
    QCheckBox *m_log = nullptr;
    QComboBox *m_quantity = nullptr;
    QLabel *m_note = nullptr;
    LivePlot *m_norms = nullptr;
    HeatmapPlot *m_heatmap = nullptr;
    QTimer *m_heatmapTimer = nullptr;
    bool m_heatmapStale = false;
};

} // namespace ui

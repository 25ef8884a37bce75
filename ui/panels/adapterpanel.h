// AdapterPanel: the LoRA adapter — method (LoRA or LoRA+ with its ratio λ),
// rank, alpha, rsLoRA, dropout, initialisation, DoRA — and which projections
// it adapts, chosen in a tree of module types × layers with their counts. The
// trainable parameter count and its share of the model update live. Engine
// validation messages appear next to the field they name.
#pragma once

#include "engine/lora/loraconfig.h"
#include "engine/model/modelinfo.h"

#include <QWidget>

#include <optional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace app {
class ProjectDocument;
}

namespace ui {

class FieldErrors;

class AdapterPanel : public QWidget
{
    Q_OBJECT

public:
    explicit AdapterPanel(app::ProjectDocument *document, QWidget *parent = nullptr);

    qint64 trainableParameters() const { return m_trainable; }
    int targetedMatrices() const { return m_targeted; }
    QString errorFor(const QString &objectName) const;

    // Whether `name` is adapted under `config` (PEFT suffix rules, regex or all-linear; layer filter).
    static bool isTargeted(const engine::LoraConfig &config, const engine::LinearSpec &linear,
                           const std::vector<std::string> &defaults);
    // PEFT's per-family defaults when no target is given: c_attn (GPT-2), else q_proj and v_proj.
    static std::vector<std::string> defaultTargets(const engine::ModelInfo &info);

private:
    QWidget *buildForm();
    QWidget *buildTree();
    void addRow(QFormLayout *form, const QString &label, QWidget *field, const QStringList &keys);
    void onSettingsChanged();
    void commit();
    void describeMethod(int method);
    void rebuildTree();
    void updateCounts();
    void onItemChanged(QTreeWidgetItem *item, int column);

    app::ProjectDocument *m_document;
    FieldErrors *m_errors = nullptr;
    QComboBox *m_method = nullptr;
    QDoubleSpinBox *m_ratio = nullptr;
    QComboBox *m_ratioScope = nullptr;
    QLabel *m_ratioHelp = nullptr;
    QSpinBox *m_rank = nullptr;
    QDoubleSpinBox *m_alpha = nullptr;
    QCheckBox *m_rsLora = nullptr;
    QDoubleSpinBox *m_dropout = nullptr;
    QComboBox *m_init = nullptr;
    QCheckBox *m_dora = nullptr;
    QLineEdit *m_layers = nullptr;
    QTreeWidget *m_tree = nullptr;
    QLabel *m_count = nullptr;
    QLabel *m_general = nullptr;
    std::optional<engine::ModelInfo> m_info;
    std::string m_modelPath;
    qint64 m_trainable = 0;
    int m_targeted = 0;
    bool m_updating = false;
};

} // namespace ui

// TrainingSettingsPanel: the optimizer and training-loop settings — the
// objective (SFT, or DPO / ORPO on preference pairs, with β, label smoothing
// and ORPO's λ), learning rate, epochs or steps, batch, accumulation, schedule, warmup, weight decay,
// clipping, seed, eval / checkpoint / probe intervals, device and threads.
// Engine validation messages appear next to the field they name. Read-only
// while a run trains.
#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace app {
class ProjectDocument;
}

namespace ui {

class FieldErrors;

class TrainingSettingsPanel : public QWidget
{
    Q_OBJECT

public:
    explicit TrainingSettingsPanel(app::ProjectDocument *document, QWidget *parent = nullptr);

    QString errorFor(const QString &objectName) const;

private:
    QDoubleSpinBox *addDouble(QFormLayout *form, const QString &label, const QString &name, double min, double max,
                              int decimals, const QStringList &keys);
    QSpinBox *addInt(QFormLayout *form, const QString &label, const QString &name, int min, int max, const QStringList &keys);
    void addRow(QFormLayout *form, const QString &label, QWidget *field, const QStringList &keys);
    void onSettingsChanged();
    void commit();

    app::ProjectDocument *m_document;
    FieldErrors *m_errors = nullptr;
    QComboBox *m_objective = nullptr;
    QDoubleSpinBox *m_beta = nullptr;
    QDoubleSpinBox *m_labelSmoothing = nullptr;
    QDoubleSpinBox *m_orpoLambda = nullptr;
    QLineEdit *m_learningRate = nullptr;
    QComboBox *m_lengthMode = nullptr;
    QDoubleSpinBox *m_epochs = nullptr;
    QSpinBox *m_steps = nullptr;
    QSpinBox *m_batch = nullptr;
    QSpinBox *m_accumulation = nullptr;
    QComboBox *m_schedule = nullptr;
    QDoubleSpinBox *m_warmup = nullptr;
    QDoubleSpinBox *m_weightDecay = nullptr;
    QDoubleSpinBox *m_clip = nullptr;
    QLineEdit *m_seed = nullptr;
    QSpinBox *m_evalEvery = nullptr;
    QSpinBox *m_checkpointEvery = nullptr;
    QSpinBox *m_probeEvery = nullptr;
    QComboBox *m_device = nullptr;
    QSpinBox *m_threads = nullptr;
    QSpinBox *m_processes = nullptr;
    QCheckBox *m_checkpointing = nullptr;
    QComboBox *m_baseWeights = nullptr;
    QLabel *m_general = nullptr;
    bool m_updating = false;
};

} // namespace ui

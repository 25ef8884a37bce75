// DataPanel: the training data — file(s), the record shape (detected, with an
// override), chat template, which tokens are trained, maximum length, packing
// and the validation split — and a live preview computed off the GUI thread
// with the model's tokenizer (DatasetPreviewView). Validation messages from
// the engine appear next to the field they name.
#pragma once

#include "engine/data/datasetconfig.h"
#include "engine/data/datasetpreview.h"

#include <QFutureWatcher>
#include <QWidget>

#include <optional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTimer;

namespace app {
class ProjectDocument;
}

namespace ui {

class DatasetPreviewView;
class FieldErrors;

// What a background preview produced.
struct DatasetPreviewOutcome
{
    std::optional<engine::data::DatasetPreview> preview;
    QString error;
    int generation = 0;
    int maxLength = 0;
};

class DataPanel : public QWidget
{
    Q_OBJECT

public:
    explicit DataPanel(app::ProjectDocument *document, QWidget *parent = nullptr);
    ~DataPanel() override;

    void setTrainFile(const QString &path);
    // The message shown for the field, or the preview error; empty if fine.
    QString errorFor(const QString &objectName) const;
    bool previewPending() const { return m_running || m_pending; }
    const std::optional<engine::data::DatasetPreview> &preview() const { return m_preview; }
    DatasetPreviewView *previewView() const { return m_view; }

Q_SIGNALS:
    void previewUpdated();

private:
    QWidget *buildForm();
    void addRow(QFormLayout *form, const QString &label, QWidget *field, const QStringList &keys);
    void onSettingsChanged();
    void commit();
    void browse(QLineEdit *edit, const QString &title);
    void schedulePreview();
    void startPreview();
    void onPreviewDone();

    app::ProjectDocument *m_document;
    FieldErrors *m_errors = nullptr;
    QLineEdit *m_train = nullptr;
    QLineEdit *m_validation = nullptr;
    QDoubleSpinBox *m_fraction = nullptr;
    QComboBox *m_shape = nullptr;
    QComboBox *m_template = nullptr;
    QComboBox *m_lossOn = nullptr;
    QLineEdit *m_system = nullptr;
    QSpinBox *m_maxLength = nullptr;
    QCheckBox *m_packing = nullptr;
    QCheckBox *m_shuffle = nullptr;
    QCheckBox *m_skipBad = nullptr;
    QLabel *m_general = nullptr;
    DatasetPreviewView *m_view = nullptr;
    QTimer *m_debounce = nullptr;
    QFutureWatcher<DatasetPreviewOutcome> m_watcher;
    std::optional<engine::data::DatasetPreview> m_preview;
    QString m_previewError;
    std::string m_previewedKey; // settings the current preview was made for
    int m_generation = 0;
    bool m_running = false;
    bool m_pending = false;
    bool m_updating = false;
};

} // namespace ui

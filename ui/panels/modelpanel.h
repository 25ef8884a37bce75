// ModelPanel: picks the base model folder and shows what it holds —
// architecture, layers, hidden size, parameters, stored dtype, tokenizer and
// chat template — plus the training memory estimated for the current adapter,
// batch and sequence length. Problems appear inline with the engine's message.
#pragma once

#include "engine/model/modelinfo.h"

#include <QWidget>

#include <optional>

class QFormLayout;
class QLabel;
class QLineEdit;

namespace app {
class ProjectDocument;
}

namespace ui {

class FieldErrors;

class ModelPanel : public QWidget
{
    Q_OBJECT

public:
    explicit ModelPanel(app::ProjectDocument *document, QWidget *parent = nullptr);

    // Sets the model folder (as if picked) and inspects it.
    void setModelFolder(const QString &folder);
    // The inspected model, if the folder is valid.
    const std::optional<engine::ModelInfo> &modelInfo() const { return m_info; }
    QString errorText() const;

private:
    void browse();
    void onSettingsChanged();
    void inspect(const QString &folder);
    void showInfo();
    void showMemory();
    QLabel *addValue(const QString &name, const QString &objectName);

    app::ProjectDocument *m_document;
    QLineEdit *m_path = nullptr;
    QLabel *m_pathError = nullptr;
    QWidget *m_details = nullptr;
    QFormLayout *m_form = nullptr;
    QLabel *m_architecture = nullptr;
    QLabel *m_shape = nullptr;
    QLabel *m_parameters = nullptr;
    QLabel *m_dtype = nullptr;
    QLabel *m_tokenizer = nullptr;
    QLabel *m_template = nullptr;
    QLabel *m_projections = nullptr;
    QLabel *m_memory = nullptr;
    FieldErrors *m_errors = nullptr;
    std::optional<engine::ModelInfo> m_info;
    QString m_inspected;
};

// "1.24 B", "124.4 M", "35.2 k"
QString formatCount(double count);
// "1.5 GiB", "340 MiB"
QString formatBytes(double bytes);

} // namespace ui

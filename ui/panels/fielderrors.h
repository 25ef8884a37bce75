// FieldErrors: shows the engine's validation messages next to the field they
// are about. Engine messages start with the setting's key ("lora.rank: 0 is
// out of range (hint: ...)"); each field registers the keys it edits and an
// inline label below it. A message no field claims goes to a general label.
#pragma once

#include <QObject>

class QFormLayout;
#include <QString>
#include <QStringList>

#include <vector>

class QLabel;
class QWidget;

namespace ui {

class FieldErrors : public QObject
{
    Q_OBJECT

public:
    explicit FieldErrors(QObject *parent = nullptr);

    // A red inline message label (hidden until needed) for a form row.
    static QLabel *makeLabel(QWidget *parent);

    void addField(QWidget *field, QLabel *label, const QStringList &keys);
    // Adds "label: field" to `form` with an error label under the field, registered for `keys`.
    void addRow(QFormLayout *form, const QString &label, QWidget *field, const QStringList &keys);
    void setGeneralLabel(QLabel *label) { m_general = label; }
    // Clears every message, then shows `message` (if any) next to its field.
    void show(const QString &message);
    void clear() { show(QString()); }
    // The message shown for `field` (or the row holding it), empty if none.
    QString messageFor(const QWidget *field) const;
    QString generalMessage() const;

private:
    struct Field
    {
        QWidget *widget;
        QLabel *label;
        QStringList keys;
    };
    std::vector<Field> m_fields;
    QLabel *m_general = nullptr;
};

} // namespace ui

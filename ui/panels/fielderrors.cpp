#include "ui/panels/fielderrors.h"

#include <QFormLayout>
#include <QVBoxLayout>

#include <QLabel>
#include <QWidget>

namespace ui {

FieldErrors::FieldErrors(QObject *parent) : QObject(parent) {}

void FieldErrors::addRow(QFormLayout *form, const QString &label, QWidget *field, const QStringList &keys)
{
    QLabel *error = makeLabel(field->parentWidget());
    auto *cell = new QWidget(field->parentWidget());
    auto *column = new QVBoxLayout(cell);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(2);
    column->addWidget(field);
    column->addWidget(error);
    form->addRow(label, cell);
    addField(field, error, keys);
}

QLabel *FieldErrors::makeLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(QStringLiteral("fieldError"));
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setStyleSheet(QStringLiteral("color: #d0312d;"));
    label->hide();
    return label;
}

void FieldErrors::addField(QWidget *field, QLabel *label, const QStringList &keys)
{
    m_fields.push_back({field, label, keys});
}

void FieldErrors::show(const QString &message)
{
    for (Field &field : m_fields) {
        field.label->clear();
        field.label->hide();
        field.widget->setProperty("invalid", false);
        field.widget->setStyleSheet(QString());
    }
    if (m_general) {
        m_general->clear();
        m_general->hide();
    }
    if (message.isEmpty())
        return;
    const Field *best = nullptr;
    int bestLength = 0;
    for (const Field &field : m_fields)
        for (const QString &key : field.keys)
            if (key.size() > bestLength && message.contains(key)) {
                best = &field;
                bestLength = int(key.size());
            }
    QLabel *target = best ? best->label : m_general;
    if (!target)
        return;
    target->setText(message);
    target->show();
    if (best) {
        best->widget->setProperty("invalid", true);
        best->widget->setStyleSheet(QStringLiteral("border: 1px solid #d0312d;"));
    }
}

QString FieldErrors::messageFor(const QWidget *field) const
{
    for (const Field &f : m_fields)
        if (f.widget == field || f.widget->isAncestorOf(field)) // a row may hold an edit and its Browse button
            return f.label->isVisible() || !f.label->text().isEmpty() ? f.label->text() : QString();
    return {};
}

QString FieldErrors::generalMessage() const { return m_general ? m_general->text() : QString(); }

} // namespace ui

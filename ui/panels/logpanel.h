// LogPanel: readable progress notes, warnings and engine errors with their
// time, newest at the bottom; bounded to the last few thousand lines.
#pragma once

#include <QWidget>

class QPlainTextEdit;

namespace ui {

class LogPanel : public QWidget
{
    Q_OBJECT

public:
    explicit LogPanel(QWidget *parent = nullptr);

    void append(const QString &line);
    QString text() const;

private:
    QPlainTextEdit *m_text = nullptr;
};

} // namespace ui

#include "ui/panels/logpanel.h"

#include <QFontDatabase>
#include <QPlainTextEdit>
#include <QTime>
#include <QVBoxLayout>

namespace ui {

LogPanel::LogPanel(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("logPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_text = new QPlainTextEdit(this);
    m_text->setReadOnly(true);
    m_text->setMaximumBlockCount(5000);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setPlaceholderText(tr("Training notes, warnings and errors appear here."));
    layout->addWidget(m_text);
}

void LogPanel::append(const QString &line)
{
    if (line.trimmed().isEmpty())
        return;
    m_text->appendPlainText(QTime::currentTime().toString(QStringLiteral("hh:mm:ss  ")) + line);
}

QString LogPanel::text() const { return m_text->toPlainText(); }

} // namespace ui

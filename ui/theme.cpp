#include "ui/theme.h"

#include <QApplication>
#include <QPalette>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>
#include <QStyleHints>

namespace ui {

namespace {

const QString kThemeKey = QStringLiteral("view/theme");

QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x1f, 0x22), text(0xdf, 0xe1, 0xe5);
    const QColor highlight(0x3d, 0x8b, 0xd9);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, highlight.lighter(130));
    p.setColor(QPalette::PlaceholderText, QColor(0x8a, 0x8d, 0x93));
    p.setColor(QPalette::Mid, QColor(0x8a, 0x8d, 0x93));
    for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, QColor(0x6e, 0x71, 0x77));
    return p;
}

} // namespace

bool systemPrefersDark()
{
#if QT_VERSION >= QT_VERSION_CHECK(6, 5, 0)
    if (QGuiApplication::styleHints()->colorScheme() != Qt::ColorScheme::Unknown)
        return QGuiApplication::styleHints()->colorScheme() == Qt::ColorScheme::Dark;
#endif
#ifdef Q_OS_WIN
    const QSettings personalize(QStringLiteral("HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Themes\\Personalize"),
                                QSettings::NativeFormat);
    if (personalize.contains(QStringLiteral("AppsUseLightTheme")))
        return personalize.value(QStringLiteral("AppsUseLightTheme")).toInt() == 0;
#endif
    if (qEnvironmentVariable("GTK_THEME").endsWith(QLatin1String(":dark"), Qt::CaseInsensitive))
        return true;
    return QApplication::style() && QApplication::style()->standardPalette().color(QPalette::Window).lightness() < 128;
}

void applyTheme(Theme theme)
{
    QSettings().setValue(kThemeKey, int(theme));
    const bool dark = theme == Theme::Dark || (theme == Theme::System && systemPrefersDark());
    static const QString nativeStyle = QApplication::style() ? QApplication::style()->name() : QString();
    if (dark) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(darkPalette());
    } else {
        QApplication::setStyle(QStyleFactory::create(nativeStyle.isEmpty() ? QStringLiteral("Fusion") : nativeStyle));
        QApplication::setPalette(QApplication::style()->standardPalette());
    }
}

Theme savedTheme()
{
    const int value = QSettings().value(kThemeKey, int(Theme::System)).toInt();
    return value >= 0 && value <= 2 ? Theme(value) : Theme::System;
}

} // namespace ui

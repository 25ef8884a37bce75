// The main window: menus, status bar and the dock area panels attach to.
// Panels connect themselves to the sessions they observe; this class only
// places them (STYLE.md §3).
#pragma once

#include <QMainWindow>

class QLabel;

namespace ui {

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(QWidget *parent = nullptr);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void createStatusBar();
    void showAbout();
    void restoreLayout();

    QLabel *m_deviceLabel = nullptr;
};

} // namespace ui

// lorafit: the desktop application.
#include "app/appsetup.h"
#include "app/projectdocument.h"
#include "engine/core/runtime.h"
#include "ui/headlessdemo.h"
#include "ui/mainwindow.h"
#include "ui/screenshot.h"
#include "ui/theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool hasArgument(int argc, char *argv[], const char *name)
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], name) == 0)
            return true;
    return false;
}

bool hasDisplay()
{
    return std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY") || std::getenv("QT_QPA_PLATFORM");
}

} // namespace

int main(int argc, char *argv[])
{
    engine::useOneHeap(); // before Qt or the trainer start threads
    // --version and --help must work without a display.
    if (hasArgument(argc, argv, "--version") || hasArgument(argc, argv, "-v")) {
        QCoreApplication core(argc, argv);
        app::setUpApplication(QStringLiteral("lorafit"));
        std::printf("%s\n", qPrintable(app::versionLine(QStringLiteral("lorafit"))));
        return 0;
    }
#ifndef Q_OS_WIN
    if ((hasArgument(argc, argv, "--screenshot") || hasArgument(argc, argv, "--demo-headless")) && !hasDisplay())
        qputenv("QT_QPA_PLATFORM", "offscreen");
#endif

    QApplication application(argc, argv);
    app::setUpApplication(QStringLiteral("lorafit"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/lorafit.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Lorafit: LoRA and LoRA+ fine-tuning of language models."));
    parser.addHelpOption();
    parser.addOption({{QStringLiteral("v"), QStringLiteral("version")}, QStringLiteral("Print the version and exit.")});
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Render the main window to a PNG file and exit."),
                                        QStringLiteral("file.png"));
    parser.addOption(screenshot);
    const QCommandLineOption demo(QStringLiteral("demo"), QStringLiteral("Open the demo project (also the default on "
                                                                         "the first start)."));
    parser.addOption(demo);
    const QCommandLineOption demoHeadless(
        QStringLiteral("demo-headless"),
        QStringLiteral("Train the demo in <folder> without showing a window, print the progress and write the plots "
                       "there as PNG files."),
        QStringLiteral("folder"));
    parser.addOption(demoHeadless);
    const QCommandLineOption maxSteps(QStringLiteral("max-steps"),
                                      QStringLiteral("With --demo-headless: train this many steps instead of the "
                                                     "demo's own number."),
                                      QStringLiteral("n"));
    parser.addOption(maxSteps);
    parser.addPositionalArgument(QStringLiteral("paths"),
                                 QStringLiteral("A project (.lorafit), a model folder or a dataset file to open."),
                                 QStringLiteral("[paths...]"));
    parser.process(application);

    ui::applyTheme(ui::savedTheme());
    ui::MainWindow window;
    if (parser.isSet(demoHeadless)) {
        bool numeric = true;
        const int steps = parser.isSet(maxSteps) ? parser.value(maxSteps).toInt(&numeric) : 0;
        if (!numeric || steps < 0) {
            std::fprintf(stderr, "lorafit: error: --max-steps takes a positive whole number, not '%s'\n",
                         qPrintable(parser.value(maxSteps)));
            return 2;
        }
        window.resize(1280, 800);
        window.show();
        ui::HeadlessDemo headless(&window, parser.value(demoHeadless), steps);
        QObject::connect(&headless, &ui::HeadlessDemo::done, &application, &QCoreApplication::exit);
        if (const QString error = headless.start(); !error.isEmpty()) {
            std::fprintf(stderr, "lorafit: error: %s\n", qPrintable(error));
            return 1;
        }
        return application.exec();
    }
    const QStringList paths = parser.positionalArguments();
    window.openPaths(paths);
    // The first start (no project ever opened) and --demo open the demo project.
    if (parser.isSet(demo) || (paths.isEmpty() && app::ProjectDocument::recentProjects().isEmpty()))
        window.openDemoProject();
    if (parser.isSet(screenshot)) {
        window.resize(1280, 800);
        const QString error = ui::saveScreenshot(&window, parser.value(screenshot));
        if (!error.isEmpty()) {
            std::fprintf(stderr, "lorafit: error: %s\n", qPrintable(error));
            return 1;
        }
        return 0;
    }
    window.show();
    return application.exec();
}

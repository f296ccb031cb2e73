// layerbox-gui: everything lives in the layerbox_gui library; this only starts it.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QIcon>

#include "main/mainwindow.h"
#include "main/screenshots.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Layerbox"));
    QApplication::setApplicationName(QStringLiteral("layerbox-gui"));
    QApplication::setApplicationDisplayName(QStringLiteral("Layerbox"));
    QApplication::setApplicationVersion(QStringLiteral(LAYERBOX_VERSION));
    // Matches the installed desktop file, so Wayland compositors show the right name and icon.
    QApplication::setDesktopFileName(QStringLiteral("io.github.layerbox.Layerbox"));
    // Outside a desktop session there may be no icon theme: fall back to Adwaita.
    if (QFileInfo::exists(QStringLiteral("/usr/share/icons/Adwaita")))
        QIcon::setFallbackThemeName(QStringLiteral("Adwaita"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate(
        "main", "Manage Layerbox profiles, launch and watch sandboxes, review their changes."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption shots(QStringLiteral("screenshots"),
                             QApplication::translate("main",
                                                     "Save a PNG of each screen in DIR "
                                                     "and quit."),
                             QStringLiteral("DIR"));
    shots.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(shots);
    parser.addPositionalArgument(QStringLiteral("file"),
                                 QApplication::translate("main",
                                                         "A program or document to run "
                                                         "sandboxed."),
                                 QStringLiteral("[file]"));
    parser.process(app);

    MainWindow window;
    window.show();
    if (parser.isSet(shots)) {
        window.resize(1200, 780);
        auto* runner =
            new ScreenshotRunner(&window, QDir(parser.value(shots)).absolutePath(), &app);
        QObject::connect(runner, &ScreenshotRunner::done, &app, [&window]() {
            window.close();
            QApplication::quit();
        });
        runner->start();
    } else if (!parser.positionalArguments().isEmpty()) {
        window.runSandboxed(parser.positionalArguments().first());
    }
    return app.exec();
}

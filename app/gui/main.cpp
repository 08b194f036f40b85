// lunette: the desktop app. Opens the main window on a site folder (or the last one, or the start
// page); see CommandLine.cpp for the options.

#include <cstdio>

#include <QApplication>

#include "CommandLine.h"
#include "MainWindow.h"
#include "runtime/TypeStubs.h"

using namespace Qt::StringLiterals;

int main(int argc, char* argv[])
{
    QCoreApplication::setOrganizationName(u"Lunette"_s);
    QCoreApplication::setApplicationName(u"Lunette"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(LUNETTE_VERSION));

    // Parsed before the application exists: --help, --version and bad options need no display.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    const CommandLine command = CommandLine::parse(arguments);
    if (command.exit) {
        std::fputs(qPrintable(command.output), command.exitCode == 0 ? stdout : stderr);
        return command.exitCode;
    }

    if (!command.typesFor.isEmpty()) {
        const auto written = lunette::writeTypeStubs(command.typesFor);
        if (!written) {
            std::fprintf(stderr, "lunette types: %s\n", qPrintable(written.error()));
            return 1;
        }
        for (const QString& file : *written)
            std::printf("%s\n", qPrintable(file));
        return 0;
    }

    // QtWebEngine shares OpenGL contexts with the widgets; this must be set before the app exists.
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    MainWindow window(command.window);
    window.show();
    return app.exec();
}

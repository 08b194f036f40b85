// lunette: the desktop app. Opens the main window on an optional site folder.

#include "MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>

using namespace Qt::StringLiterals;

int main(int argc, char* argv[])
{
    // QtWebEngine shares OpenGL contexts with the widgets; this must be set before the app exists.
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(u"Lunette"_s);
    QCoreApplication::setApplicationName(u"Lunette"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(LUNETTE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Runs a Lunette site: a folder of Lua presenters and HTML "
                                     "view templates."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(u"site"_s, u"The site folder to open (optional)."_s, u"[SITE]"_s);
    parser.process(app);

    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1) {
        qCritical("lunette: expected at most one SITE argument, got %lld",
            static_cast<long long>(positional.size()));
        return 2;
    }

    MainWindow window(positional.value(0));
    window.show();
    return app.exec();
}

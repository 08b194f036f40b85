#pragma once

// `lunette [options] [SITE]`: the command line of the desktop app, parsed into the window's
// options (QCommandLineParser; --help and --version print and exit).

#include <QString>
#include <QStringList>

#include "MainWindow.h"
#include "host/RemoteEval.h"
#include "package/Packager.h"

struct CommandLine
{
    MainWindow::Options window;
    // `lunette types SITE`: write the LuaLS stubs into SITE and exit (no window).
    QString typesFor;
    // `lunette package SITE [--format bundle|deb|portable] [-o OUT] [--with-devtools]`: package
    // SITE and exit.
    QString packageSite;
    lunette::package::Format packageFormat = lunette::package::Format::Bundle;
    QString packageOutput; // "" = named after the site, in the current folder
    bool packageWithDevtools = false;
    // `lunette eval [--url URL] [--token T] [--session ID] [--json] [CODE]`: run CODE (standard
    // input when evalFromStdin) in a running instance's session and exit (RemoteEval.h).
    bool eval = false;
    bool evalFromStdin = false;
    lunette::remote::EvalRequest evalRequest;
    // --self-test: run, report once the page has rendered, quit (SelfTest.h).
    bool selfTest = false;
    // `--list-bundle FILE`, `--extract-bundle FILE DIR`: inspect a bundle and exit.
    QString listBundle;
    QString extractBundle;
    QString extractTo;
    // Set when the app should not open a window: print `output` (to stdout when exitCode is 0,
    // else to stderr) and exit with exitCode.
    bool exit = false;
    int exitCode = 0;
    QString output;

    // arguments: as QCoreApplication::arguments() (the program name first).
    static CommandLine parse(const QStringList& arguments);
};

#include "CommandLine.h"

#include <QCommandLineParser>
#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace {

// QGuiApplication's own options (-platform offscreen, -style Fusion, …): QApplication takes them
// out of argv itself, but the command line is parsed before it exists (so --help needs no
// display), so they are set aside here.
QStringList withoutQtOptions(const QStringList& arguments)
{
    static const QStringList withValue { u"platform"_s, u"platformpluginpath"_s, u"platformtheme"_s,
        u"plugin"_s, u"qmljsdebugger"_s, u"qwindowgeometry"_s, u"qwindowicon"_s, u"qwindowtitle"_s,
        u"style"_s, u"stylesheet"_s, u"session"_s, u"display"_s, u"geometry"_s, u"name"_s,
        u"title"_s, u"visual"_s };
    static const QStringList flags { u"reverse"_s, u"widgetcount"_s, u"nograb"_s, u"dograb"_s,
        u"sync"_s };
    QStringList kept;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString& argument = arguments.at(i);
        QString name = argument;
        if (i == 0 || !name.startsWith(u'-') || name == u"--"_s) {
            kept << argument;
            continue;
        }
        name.remove(0, name.startsWith(u"--"_s) ? 2 : 1);
        const qsizetype equals = name.indexOf(u'=');
        if (equals >= 0 && withValue.contains(name.left(equals)))
            continue;
        if (withValue.contains(name)) {
            ++i; // and its value
            continue;
        }
        if (!flags.contains(name))
            kept << argument;
    }
    return kept;
}

} // namespace

CommandLine CommandLine::parse(const QStringList& givenArguments)
{
    // `lunette eval …` starts no GUI, so Qt's options mean nothing there (and --session is ours).
    const QStringList arguments
        = givenArguments.value(1) == u"eval"_s ? givenArguments : withoutQtOptions(givenArguments);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Runs a Lunette site: a folder of Lua presenters (lua/) and HTML view templates "
        u"(viewdefs/).\n"
        "Without SITE, the last site opened is opened again (or the start page is shown)."_s);
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    const QCommandLineOption port(u"port"_s,
        u"Serve the site on this loopback port (0: any free port; default: the preference)."_s,
        u"N"_s);
    const QCommandLineOption noHotload(
        u"no-hotload"_s, u"Do not reload edited files while the site runs."_s);
    const QCommandLineOption player(u"player"_s,
        u"Run SITE as a packaged app: no docks, menus or hot reload; title and size from lunette.json."_s);
    const QCommandLineOption inspect(
        u"inspect"_s, u"With --player: show the docks and DevTools (F12)."_s);
    const QCommandLineOption selfTest(u"self-test"_s,
        u"Start, wait until the site's page has rendered, print a JSON report (window, page, "
        "where Qt was loaded from) and quit: exit status 0 when the page rendered."_s);
    const QCommandLineOption formatOption(u"format"_s,
        u"With `package`: bundle (one executable file), deb (a Debian package) or portable (a "
        "folder with its libraries, and its .tar.zst)."_s,
        u"FORMAT"_s, u"bundle"_s);
    const QCommandLineOption outputOption(QStringList { u"o"_s, u"output"_s },
        u"With `package`: the file (bundle, deb) or folder (portable) to write (default: named "
        "after the site, here)."_s,
        u"OUT"_s);
    const QCommandLineOption devtoolsOption(u"with-devtools"_s,
        u"With `package --format portable`: include the DevTools resources (for --inspect)."_s);
    const QCommandLineOption listOption(
        u"list-bundle"_s, u"List the site files inside a bundle."_s, u"FILE"_s);
    const QCommandLineOption extractOption(u"extract-bundle"_s,
        u"Unpack the site inside a bundle into DIR (the positional argument)."_s, u"FILE"_s);
    const QCommandLineOption urlOption(u"url"_s,
        u"With `eval`: the running server's URL as printed, with its ?token= (default: the most "
        "recently started Lunette of this user)."_s,
        u"URL"_s);
    const QCommandLineOption tokenOption(
        u"token"_s, u"With `eval`: the server's token, when --url has none."_s, u"TOKEN"_s);
    const QCommandLineOption sessionOption(u"session"_s,
        u"With `eval`: the session to run the code in (default: the most recently active one)."_s,
        u"ID"_s);
    const QCommandLineOption jsonOption(
        u"json"_s, u"With `eval`: print the API's JSON reply as it is."_s);
    parser.addOptions(
        { port, noHotload, player, inspect, selfTest, formatOption, outputOption, devtoolsOption,
            listOption, extractOption, urlOption, tokenOption, sessionOption, jsonOption });
    parser.addPositionalArgument(u"site"_s,
        u"The site folder to open. `lunette types SITE` writes LuaLS stubs (.lunette/meta, "
        ".luarc.json) into SITE instead. `lunette eval [CODE]` runs CODE (or standard input) in "
        "a session of a running Lunette and prints what it printed and returned."_s,
        u"[SITE | types SITE | package SITE | eval [CODE]]"_s);

    CommandLine result;
    auto fail = [&](const QString& message) {
        result.exit = true;
        result.exitCode = 2;
        result.output = u"lunette: "_s + message + u"\nTry 'lunette --help'.\n"_s;
        return result;
    };
    if (!parser.parse(arguments))
        return fail(parser.errorText());
    if (parser.isSet(help)) {
        result.exit = true;
        // The first line names the program as it was started: call it lunette.
        result.output = parser.helpText();
        const qsizetype end = result.output.indexOf(u" [options]"_s);
        if (result.output.startsWith(u"Usage: "_s) && end > 0)
            result.output.replace(7, end - 7, u"lunette"_s);
        return result;
    }
    if (parser.isSet(version)) {
        result.exit = true;
        result.output = u"lunette "_s + QCoreApplication::applicationVersion() + u'\n';
        return result;
    }
    const QStringList positional = parser.positionalArguments();
    if (parser.isSet(listOption)) {
        result.listBundle = parser.value(listOption);
        return result;
    }
    if (parser.isSet(extractOption)) {
        if (positional.size() != 1)
            return fail(u"usage: lunette --extract-bundle FILE DIR"_s);
        result.extractBundle = parser.value(extractOption);
        result.extractTo = positional.at(0);
        return result;
    }
    if (positional.value(0) == u"package"_s) {
        if (positional.size() != 2)
            return fail(u"usage: lunette package SITE [--format bundle|deb|portable] [-o OUT]"_s);
        result.packageSite = positional.at(1);
        const auto format = lunette::package::formatFromName(parser.value(formatOption));
        if (!format)
            return fail(
                u"--format %1: expected bundle, deb or portable"_s.arg(parser.value(formatOption)));
        result.packageFormat = *format;
        result.packageOutput = parser.value(outputOption);
        result.packageWithDevtools = parser.isSet(devtoolsOption);
        if (result.packageWithDevtools && *format != lunette::package::Format::Portable)
            return fail(u"--with-devtools is for --format portable"_s);
        return result;
    }
    if (positional.value(0) == u"eval"_s) {
        if (positional.size() > 2)
            return fail(u"usage: lunette eval [--url URL] [--session ID] [CODE] (quote the code; "
                        "without CODE it is read from standard input)"_s);
        result.eval = true;
        result.evalFromStdin = positional.size() == 1;
        result.evalRequest.code = positional.value(1);
        result.evalRequest.url = parser.value(urlOption);
        result.evalRequest.token = parser.value(tokenOption);
        result.evalRequest.session = parser.value(sessionOption);
        result.evalRequest.json = parser.isSet(jsonOption);
        return result;
    }
    if (positional.value(0) == u"types"_s) {
        if (positional.size() != 2)
            return fail(u"usage: lunette types SITE"_s);
        result.typesFor = positional.at(1);
        return result;
    }
    if (positional.size() > 1)
        return fail(u"expected at most one SITE, got %1"_s.arg(positional.size()));
    result.window.sitePath = positional.value(0);
    result.window.reopenLast = result.window.sitePath.isEmpty();
    if (parser.isSet(port)) {
        bool ok = false;
        const int value = parser.value(port).toInt(&ok);
        if (!ok || value < 0 || value > 65535)
            return fail(
                u"--port expects a number from 0 to 65535, got '%1'"_s.arg(parser.value(port)));
        result.window.port = value;
    }
    result.window.noHotload = parser.isSet(noHotload);
    result.window.player = parser.isSet(player);
    result.window.inspect = parser.isSet(inspect);
    result.selfTest = parser.isSet(selfTest);
    if (result.window.player && result.window.sitePath.isEmpty())
        return fail(u"--player needs a SITE folder"_s);
    if (result.window.inspect && !result.window.player)
        return fail(
            u"--inspect is for player mode (--player SITE); the app always has its docks"_s);
    return result;
}

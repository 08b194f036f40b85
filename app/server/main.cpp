// lunette-server: the headless Lunette (no GUI libraries; links only lunette_engine).
//
// This milestone has no HTTP server yet, so the binary is a site checker: `--check` validates the
// site folder and compiles lua/main.lua in a sandboxed LuaState on the executor thread. Serving
// (--port, --host, --token, --print-url) arrives with the server subsystem.
//
// Exit codes: 0 check passed, 1 lua/main.lua does not compile (or the engine failed),
// 2 usage error or not a site folder, 3 serving requested (not available yet).

#include <cstdio>
#include <exception>

#include <QByteArray>
#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QString>

#include "lua/LuaExecutor.h"
#include "lua/LuaState.h"

using namespace Qt::StringLiterals;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitLuaError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotServing = 3;

void printLine(std::FILE* stream, const QString& text)
{
    std::fputs(text.toLocal8Bit().constData(), stream);
    std::fputc('\n', stream);
}

int fail(int code, const QString& message)
{
    printLine(stderr, u"lunette-server: "_s + message);
    return code;
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"lunette-server"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(LUNETTE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Headless Lunette: serves a site folder to a browser over "
                                     "loopback HTTP + WebSocket."_s);
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    const QCommandLineOption checkOption(
        u"check"_s, u"Validate the site and compile lua/main.lua, then exit (0 = OK)."_s);
    const QCommandLineOption portOption(
        u"port"_s, u"TCP port to listen on (default 0: any free port)."_s, u"N"_s, u"0"_s);
    const QCommandLineOption hostOption(
        u"host"_s, u"Address to listen on (default 127.0.0.1)."_s, u"H"_s, u"127.0.0.1"_s);
    const QCommandLineOption tokenOption(
        u"token"_s, u"Access token (default: a random one per launch)."_s, u"T"_s);
    const QCommandLineOption printUrlOption(
        u"print-url"_s, u"Print the site's URL (with its token) once listening."_s);
    parser.addOptions({ checkOption, portOption, hostOption, tokenOption, printUrlOption });
    parser.addPositionalArgument(u"site"_s, u"The site folder."_s, u"SITE"_s);

    if (!parser.parse(QCoreApplication::arguments()))
        return fail(kExitUsage, parser.errorText());
    if (parser.isSet(helpOption))
        parser.showHelp(kExitOk); // exits
    if (parser.isSet(versionOption))
        parser.showVersion(); // exits

    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return fail(kExitUsage, u"expected one SITE folder (see --help)"_s);

    bool portOk = false;
    const uint port = parser.value(portOption).toUInt(&portOk);
    if (!portOk || port > 65535)
        return fail(kExitUsage, u"--port: not a port number: "_s + parser.value(portOption));
    const QString host = parser.value(hostOption);
    if (host != u"localhost"_s && QHostAddress(host).isNull())
        return fail(kExitUsage, u"--host: not an IP address: "_s + host);
    if (parser.isSet(tokenOption) && parser.value(tokenOption).isEmpty())
        return fail(kExitUsage, u"--token: the token must not be empty"_s);

    // The site folder: it must exist and have lua/main.lua.
    const QString sitePath = QDir(positional.first()).absolutePath();
    if (!QFileInfo(sitePath).isDir())
        return fail(kExitUsage, u"'"_s + positional.first() + u"' is not a folder"_s);
    const QString mainPath = sitePath + u"/lua/main.lua"_s;
    if (!QFileInfo(mainPath).isFile())
        return fail(
            kExitUsage, u"'"_s + positional.first() + u"' is not a site: it has no lua/main.lua"_s);
    QString siteName = QFileInfo(sitePath).fileName();
    if (siteName.isEmpty())
        siteName = sitePath;

    QFile mainFile(mainPath);
    if (!mainFile.open(QIODevice::ReadOnly))
        return fail(kExitUsage, u"cannot read "_s + mainPath + u": "_s + mainFile.errorString());
    const QByteArray code = mainFile.readAll();

    // Compile (do not run) the entry chunk. The state lives and dies on the executor thread.
    QString compileError;
    try {
        lunette::LuaExecutor executor;
        compileError = executor.execute([&]() -> QString {
            lunette::LuaState state;
            const auto loaded = state.load(code, u"lua/main.lua"_s);
            return loaded ? QString() : loaded.error().message;
        });
    } catch (const std::exception& error) {
        return fail(kExitLuaError, QString::fromLocal8Bit(error.what()));
    }
    if (!compileError.isEmpty())
        return fail(kExitLuaError, compileError);

    if (parser.isSet(checkOption)) {
        printLine(stdout,
            u"lunette-server "_s + QCoreApplication::applicationVersion() + u": site '"_s + siteName
                + u"' OK (lua/main.lua compiles)"_s);
        return kExitOk;
    }

    return fail(kExitNotServing,
        u"site '"_s + siteName
            + u"' compiles, but serving needs the server subsystem of the next milestone; "
              "use --check to validate a site"_s);
}

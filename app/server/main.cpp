// lunette-server: the headless Lunette (no GUI libraries; links only lunette_engine).
//
//   lunette-server SITE [--port N] [--host H] [--token T] [--print-url] [--hotload] [limits]
//   lunette-server SITE --check
//
// Limits (docs/RELIABILITY.md "Limits"): --max-sessions, --max-connections,
// --max-session-connections, --max-frame-size, --request-timeout, --session-timeout,
// --turn-deadline, --session-memory.
//
// Serves the site on loopback HTTP + WebSocket and prints its URL with the launch token (open it
// in a browser). --check validates the site and compiles its entry script, then exits.
// SIGINT/SIGTERM shut down gracefully (sessions closed, clients told "going away").
//
// Exit codes: 0 OK, 1 the entry script does not compile (or the engine failed), 2 usage error or
// not a site folder, 3 cannot listen.

#include <csignal>
#include <cstdio>
#include <exception>
#include <limits>
#include <optional>

#include <QByteArray>
#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QString>

#include "host/SiteHost.h"
#include "lua/LuaState.h"
#include "server/SiteServer.h"
#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitLuaError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitListen = 3;

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

// A non-negative whole number option; nullopt (after printing why) when it is not one.
std::optional<qint64> numberOption(const QCommandLineParser& parser,
    const QCommandLineOption& option, const QString& what,
    qint64 max = std::numeric_limits<int>::max())
{
    bool ok = false;
    const QString text = parser.value(option);
    const qint64 value = text.toLongLong(&ok);
    if (!ok || value < 0 || value > max) {
        printLine(stderr,
            u"lunette-server: --%1: not %2 (0 … %3): %4"_s.arg(
                option.names().constFirst(), what, QString::number(max), text));
        return std::nullopt;
    }
    return value;
}

// SIGINT/SIGTERM: quit the event loop; the normal shutdown path runs after exec() returns.
void onSignal(int)
{
    QMetaObject::invokeMethod(
        QCoreApplication::instance(), &QCoreApplication::quit, Qt::QueuedConnection);
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
        u"check"_s, u"Validate the site and compile its entry script, then exit (0 = OK)."_s);
    const QCommandLineOption portOption(
        u"port"_s, u"TCP port to listen on (default 0: any free port)."_s, u"N"_s, u"0"_s);
    const QCommandLineOption hostOption(
        u"host"_s, u"Address to listen on (default 127.0.0.1)."_s, u"H"_s, u"127.0.0.1"_s);
    const QCommandLineOption tokenOption(
        u"token"_s, u"Access token (default: a random one per launch)."_s, u"T"_s);
    const QCommandLineOption printUrlOption(
        u"print-url"_s, u"Print only the site's URL (with its token) on stdout once listening."_s);
    const QCommandLineOption timeoutOption(u"session-timeout"_s,
        u"End sessions idle (no connection) for this many seconds (default 86400; 0 = never)."_s,
        u"S"_s, u"86400"_s);
    const QCommandLineOption hotloadOption(u"hotload"_s,
        u"Live editing: reload Lua files, viewdefs and styles of the site when they are saved."_s);
    // Limits: the defaults are the engine's (SiteServerOptions, SessionManager::Options,
    // LuaState::Options), so the help text shows what applies without the flag.
    const lunette::SiteServerOptions serverDefaults;
    const lunette::SessionManager::Options sessionDefaults;
    const QCommandLineOption maxSessionsOption(u"max-sessions"_s,
        u"Live sessions at most; one more gets 503 (default %1; 0 = unlimited)."_s.arg(
            sessionDefaults.maxSessions),
        u"N"_s, QString::number(sessionDefaults.maxSessions));
    const QCommandLineOption maxConnectionsOption(u"max-connections"_s,
        u"Open connections (HTTP and WebSocket) at most; one more gets 503 (default %1; 0 = unlimited)."_s
            .arg(serverDefaults.maxConnections),
        u"N"_s, QString::number(serverDefaults.maxConnections));
    const QCommandLineOption maxSessionConnectionsOption(u"max-session-connections"_s,
        u"WebSockets per session at most; one more is refused (default %1; 0 = unlimited)."_s.arg(
            serverDefaults.maxConnectionsPerSession),
        u"N"_s, QString::number(serverDefaults.maxConnectionsPerSession));
    const QCommandLineOption maxFrameOption(u"max-frame-size"_s,
        u"Largest WebSocket message accepted, in bytes; larger ones get a bad-message error (default %1)."_s
            .arg(serverDefaults.maxFrameBytes),
        u"BYTES"_s, QString::number(serverDefaults.maxFrameBytes));
    const QCommandLineOption requestTimeoutOption(u"request-timeout"_s,
        u"Close connections that send no complete request for this many seconds (default %1; 0 = never)."_s
            .arg(serverDefaults.requestTimeout.count() / 1000),
        u"S"_s, QString::number(serverDefaults.requestTimeout.count() / 1000));
    const QCommandLineOption turnDeadlineOption(u"turn-deadline"_s,
        u"Stop a Lua call (action, timer, main.lua) running longer than this many milliseconds "
        u"with "
        "\"script timed out\" (default %1; 0 = never)."_s.arg(
            lunette::LuaState::kDefaultTimeout.count()),
        u"MS"_s, QString::number(lunette::LuaState::kDefaultTimeout.count()));
    const QCommandLineOption sessionMemoryOption(u"session-memory"_s,
        u"Memory of each session's Lua state at most, in MiB; beyond it Lua raises \"not enough "
        "memory\" (default %1; 0 = unlimited)."_s.arg(lunette::LuaState::kDefaultMemoryLimit >> 20),
        u"MIB"_s, QString::number(lunette::LuaState::kDefaultMemoryLimit >> 20));
    parser.addOptions(
        { checkOption, portOption, hostOption, tokenOption, printUrlOption, timeoutOption,
            hotloadOption, maxSessionsOption, maxConnectionsOption, maxSessionConnectionsOption,
            maxFrameOption, requestTimeoutOption, turnDeadlineOption, sessionMemoryOption });
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
    const QHostAddress address
        = host == u"localhost"_s ? QHostAddress(QHostAddress::LocalHost) : QHostAddress(host);
    if (address.isNull())
        return fail(kExitUsage, u"--host: not an IP address: "_s + host);
    if (parser.isSet(tokenOption) && parser.value(tokenOption).isEmpty())
        return fail(kExitUsage, u"--token: the token must not be empty"_s);
    constexpr qint64 kMaxSeconds = 10LL * 365 * 24 * 3600;
    const auto timeoutSeconds
        = numberOption(parser, timeoutOption, u"a number of seconds"_s, kMaxSeconds);
    const auto maxSessions = numberOption(parser, maxSessionsOption, u"a number of sessions"_s);
    const auto maxConnections
        = numberOption(parser, maxConnectionsOption, u"a number of connections"_s);
    const auto maxSessionConnections
        = numberOption(parser, maxSessionConnectionsOption, u"a number of connections"_s);
    const auto maxFrame = numberOption(
        parser, maxFrameOption, u"a size in bytes"_s, std::numeric_limits<qint64>::max());
    const auto requestTimeout
        = numberOption(parser, requestTimeoutOption, u"a number of seconds"_s, kMaxSeconds);
    const auto turnDeadline = numberOption(
        parser, turnDeadlineOption, u"a number of milliseconds"_s, kMaxSeconds * 1000);
    const auto sessionMemory
        = numberOption(parser, sessionMemoryOption, u"a size in MiB"_s, 1 << 20);
    if (!timeoutSeconds || !maxSessions || !maxConnections || !maxSessionConnections || !maxFrame
        || !requestTimeout || !turnDeadline || !sessionMemory)
        return kExitUsage;
    if (*maxFrame < 1)
        return fail(kExitUsage, u"--max-frame-size: must be at least 1 byte"_s);

    if (!parser.isSet(checkOption))
        lunette::SiteServer::preloadTls(); // on another core while the site loads
    auto opened = lunette::Site::open(positional.first());
    if (!opened)
        return fail(kExitUsage, opened.error());
    const std::shared_ptr<const lunette::Site> site = *opened;

    QFile entryFile(site->entryPath());
    if (!entryFile.open(QIODevice::ReadOnly))
        return fail(
            kExitUsage, u"cannot read "_s + site->entryPath() + u": "_s + entryFile.errorString());
    const QString entryName = site->manifest().entry;
    // Compile (do not run) the entry chunk first: a syntax error is reported before serving.
    {
        lunette::LuaState state;
        if (const auto loaded = state.load(entryFile.readAll(), entryName); !loaded)
            return fail(kExitLuaError, loaded.error().message);
    }

    if (parser.isSet(checkOption)) {
        printLine(stdout,
            u"lunette-server "_s + QCoreApplication::applicationVersion() + u": site '"_s
                + site->name() + u"' OK ("_s + entryName + u" compiles)"_s);
        return kExitOk;
    }

    lunette::SiteHost::Options options;
    options.sessions.idleTimeout = std::chrono::seconds(*timeoutSeconds);
    options.sessions.maxSessions = static_cast<std::size_t>(*maxSessions);
    options.sessions.session.lua.timeout = std::chrono::milliseconds(*turnDeadline);
    options.sessions.session.lua.memoryLimit = static_cast<std::size_t>(*sessionMemory) << 20;
    options.server.maxConnections = static_cast<int>(*maxConnections);
    options.server.maxConnectionsPerSession = static_cast<int>(*maxSessionConnections);
    options.server.maxFrameBytes = *maxFrame;
    options.server.requestTimeout = std::chrono::seconds(*requestTimeout);
    options.server.host = address;
    options.server.port = static_cast<quint16>(port);
    options.server.token = parser.value(tokenOption);
    options.hotload = parser.isSet(hotloadOption);
    options.advertise = true; // for `lunette eval` (engine/host/Instances.h)
    auto started = lunette::SiteHost::start(site->root(), options);
    if (!started)
        return fail(kExitListen, started.error());
    lunette::SiteServer& server = (*started)->server();

    const QString url = server.url().toString();
    if (parser.isSet(printUrlOption)) {
        printLine(stdout, url);
    } else {
        printLine(stdout, u"Lunette is serving '"_s + site->name() + u"' at"_s);
        printLine(stdout, u"    "_s + url);
        printLine(
            stdout, u"Open that URL in a browser (it carries the access token). Ctrl+C stops."_s);
    }
    std::fflush(stdout);

    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    const int status = QCoreApplication::exec();
    started->reset(); // stops the server, ends the sessions, joins the executor
    return status;
}

#pragma once

// SiteServer: the loopback HTTP + WebSocket server of one site (ARCHITECTURE.md "Threads",
// "Security model"; PROTOCOL.md "HTTP", "Transport rules").
//
// It runs on its own thread: neither the GUI thread nor the Lua executor ever does network I/O.
// It authorizes every request (Authorizer), serves the pages and the site's static files, and
// hands session work to a SessionService; frames coming back from the session layer arrive
// through the ConnectionSink interface, from the executor thread, and are written on the server
// thread, one WebSocket message per frame.
//
// Routes (GET and HEAD; anything else is 405):
//   /                         create a session → 307 to /<sid> (500 page if main.lua fails)
//   /<sid>, /<sid>/…          the page: the site's html/index.html, else the engine's default
//   /<sid>/variables          the variable browser
//   /<sid>/variables.json     SessionService::variables, header X-Change-Count
//   /<32 hex> (no session)    404 "this session has ended"
//   /lunette/<file>           the engine's web resources (resources/web/)
//   /ws/<sid>[/…]             the WebSocket of a session (upgrade only)
//   /lunette/shoelace/<path>  the local Shoelace copy (Options::shoelaceDir)
//   anything else             a static file from the site's html/ folder

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QUrl>

#include "lua/Expected.h"
#include "server/ApiRoutes.h"
#include "server/SessionService.h"

class QTcpSocket;
class QThread;

namespace lunette {

class Site;

struct SiteServerOptions
{
    QHostAddress host = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 0; // 0: any free port
    // The launch token. Empty: 32 random bytes from the system generator, as 64 hex characters.
    QString token;
    // Larger incoming WebSocket messages are answered with a bad-message error (the connection
    // stays open). Messages above max(64 MiB, maxFrameBytes) close the connection (1009).
    qint64 maxFrameBytes = 16 * 1024 * 1024;
    // Open TCP connections (HTTP and WebSocket together). One more is answered "503 too many
    // connections" and closed at once. 0 = unlimited.
    int maxConnections = 512;
    // WebSockets open on one session (tabs or windows showing it). One more is refused with close
    // code 1008 "too many connections to this session". 0 = unlimited.
    int maxConnectionsPerSession = 16;
    // A connection must send a complete request within this time of being accepted (or of its
    // previous request), else it is closed: slow or idle clients ("slowloris") cannot hold
    // connections open. WebSockets are exempt once upgraded. 0 = no limit.
    std::chrono::milliseconds requestTimeout { 30000 };
    // The folder served at /lunette/shoelace/ (the `cdn/` folder of @shoelace-style/shoelace 2.x,
    // see web/). When set, pages that load Shoelace 2.x from jsDelivr get these local URLs
    // instead, so sites work offline. Empty: /lunette/shoelace/ is 404 and pages are unchanged.
    QString shoelaceDir;
    // Honour lunette.json "web.public": those Lua routes need no token. Only the packaged player
    // sets it (a developer's server always wants the token).
    bool allowPublicRoutes = false;
    // Test hook: called on the server thread for every accepted TCP connection, after its socket
    // options are set and before anything is read from it.
    std::function<void(const QTcpSocket&)> acceptedSocketHook;
};

class SiteServer final : public QObject, public ConnectionSink
{
    Q_OBJECT

public:
    using Options = SiteServerOptions;

    // Registers itself as the service's connection sink (and unregisters, with nullptr, in the
    // destructor). The service must outlive the server.
    SiteServer(std::shared_ptr<const Site> site, SessionService& service, Options options = {});
    // Calls stop().
    ~SiteServer() override;

    SiteServer(const SiteServer&) = delete;
    SiteServer& operator=(const SiteServer&) = delete;

    // QAbstractHttpServer's constructor builds a QSslConfiguration, which loads Qt's TLS backend
    // and OpenSSL (about 5 ms) although Lunette never serves TLS. Called early (after the
    // QCoreApplication exists), this does that on a pool thread while the site loads, so
    // start() finds it done. Optional; thread-safe.
    static void preloadTls();

    // Starts the server thread and listens; blocks until listening or failed
    // ("cannot listen on 127.0.0.1:8080: address in use").
    Expected<void, QString> start();
    // Closes every WebSocket with 1001 (going away) and every HTTP connection, then joins the
    // server thread. Frames handed to the sink afterwards are dropped. Idempotent.
    void stop();

    bool isListening() const { return m_port.load() != 0; }
    // The port actually listened on (0 before start and after stop).
    quint16 port() const { return m_port.load(); }
    QString token() const { return m_token; }
    // The URL to open in a browser: http://127.0.0.1:PORT/?token=TOKEN
    QUrl url() const;
    // The server's own origin, http://127.0.0.1:PORT (what a page's WebSocket sends as Origin).
    QString origin() const;

    // What GET /api/site reports about live editing (the host keeps it current). Thread-safe.
    void setHotReloadState(const HotReloadState& state);
    HotReloadState hotReloadState() const;

    // ConnectionSink (called from the executor thread; thread-safe).
    void sendFrame(ConnectionId id, const QByteArray& frame) override;
    void closeConnection(ConnectionId id, quint16 code, const QString& reason) override;

private:
    class Context;
    class Core;
    class Gate;
    class HotReloadBox;

    QString hostForUrls() const;
    void finish(); // shuts the Core down on its thread, then joins the thread

    std::shared_ptr<const Site> m_site;
    SessionService& m_service;
    Options m_options;
    QString m_token;
    std::atomic<quint16> m_port { 0 };
    std::unique_ptr<QThread> m_thread;
    // The way into the server thread. Shared with callbacks handed to the session layer, which
    // may come back after the server has stopped (they are then dropped).
    std::shared_ptr<Gate> m_gate;
    std::shared_ptr<HotReloadBox> m_hotReload; // shared with the server thread
};

} // namespace lunette

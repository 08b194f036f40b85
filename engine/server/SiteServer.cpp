#include "SiteServer.h"

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <semaphore>
#include <utility>
#include <vector>

#include <QAbstractHttpServer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QLoggingCategory>
#include <QMetaMethod>
#include <QNetworkRequest>
#include <QPointer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QThreadPool>
#include <QTimer>
#include <QUrlQuery>
#include <QWebSocket>

#include "server/ApiRoutes.h"
#include "server/Authorizer.h"
#include "server/HttpReply.h"
#include "site/MimeTypes.h"
#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

Q_LOGGING_CATEGORY(lcServer, "lunette.server")

// A message larger than this closes the connection inside QWebSocket (1009, too big), before it
// is ever buffered whole; smaller ones above maxFrameBytes get a bad-message error instead.
constexpr qint64 kHardMessageCap = 64 * 1024 * 1024;
// stop(): how long closing WebSockets get to finish their closing handshake.
constexpr int kCloseWaitMs = 1000;
// A refused WebSocket that does not answer our close frame is dropped after this.
constexpr int kRefusedAbortMs = 2000;

constexpr QLatin1StringView kResourceRoot(":/lunette/web");

using Status = HttpStatus;
using HeaderPairs = QList<QPair<QByteArray, QByteArray>>;

// Process-wide: SessionService.h promises ids are never reused within a process.
std::atomic<ConnectionId> g_nextConnectionId { 1 };

QString randomToken()
{
    std::array<quint32, 8> words {}; // 32 bytes = 256 bits
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    const QByteArray bytes(reinterpret_cast<const char*>(words.data()), sizeof(words));
    return QString::fromLatin1(bytes.toHex());
}

QByteArray sessionCookie(const QString& sessionId)
{
    // Readable by the page's script (no HttpOnly): the client finds its session id in it.
    return "ui-session=" + sessionId.toLatin1() + "; Path=/; SameSite=Lax";
}

using Reply = HttpReply;

QByteArray htmlPage(const QString& title, const QString& body)
{
    const QString page = u"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                         "<title>"_s
        + title.toHtmlEscaped()
        + u"</title>\n<style>body{font-family:system-ui,sans-serif;margin:3em auto;max-width:48em;"
          "padding:0 1em;color:#222}pre{background:#f6f6f6;border:1px solid #ddd;padding:1em;"
          "overflow:auto;white-space:pre-wrap}.where{color:#666}a{color:#0b57d0}</style>\n"
          "</head>\n<body>\n"_s
        + body + u"\n</body>\n</html>\n"_s;
    return page.toUtf8();
}

Reply htmlReply(Status status, QByteArray html)
{
    return Reply { status, QByteArrayLiteral("text/html; charset=utf-8"), std::move(html), {} };
}

Reply sessionEndedReply()
{
    return htmlReply(Status::NotFound,
        htmlPage(u"Session ended"_s,
            u"<h1>This session has ended</h1>\n"
            "<p><a href=\"/\">This session has ended — start a new one</a></p>"_s));
}

Reply createFailedReply(const SessionService::Created& created)
{
    QString body = u"<h1>The site failed to start</h1>\n"_s;
    if (!created.location.isEmpty())
        body += u"<p class=\"where\">in <code>"_s + created.location.toHtmlEscaped()
            + u"</code></p>\n"_s;
    const QString error = created.error.isEmpty() ? u"unknown error"_s : created.error;
    body += u"<pre>"_s + error.toHtmlEscaped() + u"</pre>\n<p><a href=\"/\">Retry</a></p>"_s;
    return htmlReply(Status::InternalServerError, htmlPage(u"Lua error"_s, body));
}

void writeReply(
    QHttpServerResponder& responder, const Reply& reply, bool head, const QByteArray& tokenCookie)
{
    // Written field by field: QHttpServerResponder::write() takes a fixed initializer list and
    // always sends a body, and HEAD must announce the length without sending one.
    responder.writeStatusLine(reply.status);
    if (!reply.contentType.isEmpty())
        responder.writeHeader(QByteArrayLiteral("Content-Type"), reply.contentType);
    responder.writeHeader(
        QByteArrayLiteral("Content-Length"), QByteArray::number(reply.body.size()));
    responder.writeHeader(
        QByteArrayLiteral("X-Content-Type-Options"), QByteArrayLiteral("nosniff"));
    // Everything is live-edited while a site runs (hot reload): always revalidate.
    responder.writeHeader(QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-cache"));
    // The first URL carries ?token=; a link out of the page must not leak it.
    responder.writeHeader(QByteArrayLiteral("Referrer-Policy"), QByteArrayLiteral("no-referrer"));
    for (const auto& [name, value] : reply.headers)
        responder.writeHeader(name, value);
    if (!tokenCookie.isEmpty())
        responder.writeHeader(QByteArrayLiteral("Set-Cookie"), tokenCookie);
    responder.writeBody(head ? QByteArray() : reply.body);
}

// What the Authorizer needs, from a list of raw headers and the request URL.
Authorizer::Request authRequest(
    const HeaderPairs& headers, const QUrl& url, bool webSocket, bool refuseForeignOrigin = false)
{
    Authorizer::Request request;
    request.webSocket = webSocket;
    request.refuseForeignOrigin = refuseForeignOrigin;
    for (const auto& [name, value] : headers) {
        const QByteArray lower = name.toLower();
        if (lower == "host") {
            request.hosts.append(value);
        } else if (lower == "cookie") {
            request.cookies.append(value);
        } else if (lower == "authorization") {
            request.authorizations.append(value);
        } else if (lower == "origin") {
            request.hasOrigin = true;
            request.origin = value;
        }
    }
    const QUrlQuery query(url);
    if (query.hasQueryItem(u"token"_s)) {
        request.hasQueryToken = true;
        request.queryToken = query.queryItemValue(u"token"_s, QUrl::FullyDecoded).toUtf8();
    }
    return request;
}

// The segments of a path below a prefix, each percent-decoded; nullopt when a segment is a dot
// segment or decodes to something containing a separator.
std::optional<QString> safeRelativePath(QStringView encoded)
{
    QStringList segments;
    for (const QStringView raw : encoded.tokenize(u'/', Qt::SkipEmptyParts)) {
        const QString segment = QUrl::fromPercentEncoding(raw.toUtf8());
        if (segment == "."_L1 || segment == ".."_L1 || segment.contains(u'/')
            || segment.contains(u'\\') || segment.contains(QChar(0)))
            return std::nullopt;
        segments.append(segment);
    }
    return segments.join(u'/');
}

std::optional<QByteArray> readFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    return file.readAll();
}

// <script src="https://cdn.jsdelivr.net/npm/@shoelace-style/shoelace@2.15.0/cdn/x.js"> and the
// like (any 2.x version, the cdn/ or dist/ folder) → /lunette/shoelace/x.js.
QByteArray localizeShoelace(QByteArray html)
{
    static const QRegularExpression cdn(
        u"https?://cdn\\.jsdelivr\\.net/npm/@shoelace-style/shoelace@2(?:\\.[0-9A-Za-z.-]*)?/(?:cdn|dist)/"_s);
    if (!html.contains("@shoelace-style/shoelace@2"))
        return html;
    return QString::fromUtf8(html).replace(cdn, u"/lunette/shoelace/"_s).toUtf8();
}

QString describeListenError(const QTcpServer& server)
{
    switch (server.serverError()) {
    case QAbstractSocket::AddressInUseError:
        return u"address in use"_s;
    case QAbstractSocket::SocketAccessError:
        return u"permission denied"_s;
    case QAbstractSocket::SocketAddressNotAvailableError:
        return u"address not available"_s;
    default:
        return server.errorString();
    }
}

QString hostAndPort(const QHostAddress& host, quint16 port)
{
    const QString address = host.toString();
    return (host.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + address + u']' : address)
        + u':' + QString::number(port);
}

const char* const kRequestTimerName = "lunette-request-timer";

// The request timer TcpServer::incomingConnection gave an accepted socket (nullptr when the
// request timeout is off). HttpServer::handleRequest restarts it for every request (the client has
// the timeout to send its next one) and stops it for good when the socket becomes a WebSocket.
QTimer* requestTimer(QTcpSocket* socket)
{
    return socket->findChild<QTimer*>(QLatin1StringView(kRequestTimerName));
}

// Accepts connections for the HTTP server:
//  * every socket gets TCP_NODELAY before the HTTP server sees it (without it a reply written in
//    two pieces waits for the peer's delayed ACK, ~40 ms);
//  * beyond maxConnections open sockets, a connection is answered 503 and closed;
//  * each socket gets a request timer (restartRequestTimer) that aborts it when no complete
//    request arrives in time; it is stopped for good when the socket becomes a WebSocket.
class TcpServer final : public QTcpServer
{
public:
    explicit TcpServer(const SiteServerOptions& options) : m_options(options) { }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto* socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            qCWarning(
                lcServer, "cannot accept a connection: %s", qUtf8Printable(socket->errorString()));
            delete socket;
            return;
        }
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        if (m_options.acceptedSocketHook)
            m_options.acceptedSocketHook(*socket);
        if (m_options.maxConnections > 0 && *m_open >= m_options.maxConnections) {
            refuse(socket);
            return;
        }
        // Counted down by a child of the socket, not by its destroyed() signal: Qt 6.4's
        // QAbstractHttpServer calls socket->disconnect() when it hands an upgraded socket to the
        // WebSocket server, which would cut that connection (and the count would only grow).
        ++*m_open;
        new OpenConnection(m_open, socket);
        if (m_options.requestTimeout.count() > 0) {
            auto* timer = new QTimer(socket);
            timer->setObjectName(QLatin1StringView(kRequestTimerName));
            timer->setSingleShot(true);
            timer->setInterval(m_options.requestTimeout);
            connect(timer, &QTimer::timeout, socket, [socket] {
                qCInfo(lcServer, "closing a connection that sent no complete request in time");
                socket->abort();
            });
            timer->start();
        }
        addPendingConnection(socket);
    }

private:
    // 503 without reading the request: the client learns why, and the socket is gone at once.
    void refuse(QTcpSocket* socket)
    {
        if (!m_warned) {
            qCWarning(lcServer, "too many connections (limit %d): refusing new ones",
                m_options.maxConnections);
            m_warned = true;
        }
        const QByteArray body
            = "too many connections (limit " + QByteArray::number(m_options.maxConnections) + ")\n";
        socket->write("HTTP/1.1 503 Service Unavailable\r\n"
                      "Content-Type: text/plain; charset=utf-8\r\n"
                      "Content-Length: "
            + QByteArray::number(body.size()) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
            + body);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(kRefusedAbortMs, socket, [socket] { socket->abort(); });
        socket->disconnectFromHost();
    }

    // Lives as long as its socket (a child of it) and counts it as open meanwhile.
    class OpenConnection final : public QObject
    {
    public:
        OpenConnection(std::shared_ptr<int> open, QObject* socket)
            : QObject(socket), m_open(std::move(open))
        {
        }
        ~OpenConnection() override { --*m_open; }

    private:
        std::shared_ptr<int> m_open;
    };

    const SiteServerOptions& m_options;
    std::shared_ptr<int> m_open = std::make_shared<int>(0);
    bool m_warned = false;
};

class HttpServer final : public QAbstractHttpServer
{
public:
    using Handler
        = std::function<void(const QHttpServerRequest&, QTcpSocket*, QHttpServerResponder&&)>;

    HttpServer(Handler handler, QObject* parent)
        : QAbstractHttpServer(parent), m_handler(std::move(handler))
    {
    }

protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override
    {
        // Qt 6.4.2 asks handleRequest first for an upgrade request and performs the WebSocket
        // handshake only when it returns true without having answered; the new socket is then
        // checked (token, Host, Origin, session) before any frame is read (acceptWebSocket).
        QTimer* timer = requestTimer(socket);
        if (request.value("upgrade").compare("websocket", Qt::CaseInsensitive) == 0) {
            if (timer)
                timer->stop();
            return true;
        }
        if (timer)
            timer->start();
        m_handler(request, socket, makeResponder(request, socket));
        return true;
    }

    void missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) override
    {
        // Not reached (handleRequest answers everything); kept as the interface demands.
        auto responder = makeResponder(request, socket);
        writeReply(responder, textReply(Status::NotFound, "not found"), false, {});
    }

private:
    Handler m_handler;
};

// An HTTP response that waits for the session layer (executor thread). Completed on the server
// thread; dropped if the client went away meanwhile. While it waits, the connection's request
// timer is stopped: the timeout is for clients that are slow to send, not for Lua that takes its
// time (an eval or a route that waits); it starts again once the reply is written.
struct PendingReply
{
    QHttpServerResponder responder;
    QPointer<QTcpSocket> socket;
    bool head = false;
    QByteArray tokenCookie;

    static std::shared_ptr<PendingReply> hold(QHttpServerResponder&& responder, QTcpSocket* socket,
        bool head, const QByteArray& tokenCookie = {})
    {
        if (QTimer* timer = requestTimer(socket))
            timer->stop();
        return std::make_shared<PendingReply>(
            PendingReply { std::move(responder), socket, head, tokenCookie });
    }
    bool clientGone() const
    {
        return !socket || socket->state() != QAbstractSocket::ConnectedState;
    }
    void complete(const Reply& reply)
    {
        if (clientGone())
            return;
        writeReply(responder, reply, head, tokenCookie);
        if (QTimer* timer = requestTimer(socket))
            timer->start();
    }
};

} // namespace

// The hot reload state, written by the host's thread, read by the server thread.
class SiteServer::HotReloadBox final
{
public:
    HotReloadState get() const
    {
        std::lock_guard lock(m_mutex);
        return m_state;
    }
    void set(const HotReloadState& state)
    {
        std::lock_guard lock(m_mutex);
        m_state = state;
    }

private:
    mutable std::mutex m_mutex;
    HotReloadState m_state;
};

// Everything that lives on the server thread: the HTTP server, the WebSockets, the routes.
class SiteServer::Core final : public QObject
{
public:
    Core(std::shared_ptr<const Site> site, SessionService& service, const Options& options,
        const QString& token, std::shared_ptr<Gate> gate, std::shared_ptr<HotReloadBox> hotReload)
        : m_site(std::move(site))
        , m_service(service)
        , m_options(options)
        , m_token(token.toUtf8())
        , m_gate(std::move(gate))
        , m_hotReload(std::move(hotReload))
    {
    }

    Expected<quint16, QString> listen();
    void shutdown();

    void send(ConnectionId id, const QByteArray& frame);
    void close(ConnectionId id, quint16 code, const QString& reason);

private:
    void handleRequest(
        const QHttpServerRequest& request, QTcpSocket* socket, QHttpServerResponder&& responder);
    void handleApi(const QHttpServerRequest& request, QTcpSocket* socket,
        QHttpServerResponder&& responder, QStringView path);
    bool isWebRoute(const QUrl& url) const;
    void handleWeb(
        const QHttpServerRequest& request, QTcpSocket* socket, QHttpServerResponder&& responder);
    void createSession(std::shared_ptr<PendingReply> pending);
    void sendVariables(const QString& sessionId, std::shared_ptr<PendingReply> pending);
    void finishCreate(PendingReply& pending, const SessionService::Created& created);
    void finishVariables(PendingReply& pending, const SessionService::VariablesSnapshot& snapshot);
    Reply sessionReply(const QString& sessionId, QStringView rest) const;
    Reply staticReply(QStringView path) const;
    Reply resourceReply(QStringView relative) const;
    Reply shoelaceReply(QStringView relative) const;
    Reply withLocalShoelace(Reply reply) const;
    Reply pageReply() const;

    void onNewWebSocket();
    void acceptWebSocket(QWebSocket* socket);
    void refuseWebSocket(QWebSocket* socket, const QString& reason);
    void deliver(ConnectionId id, const QByteArray& frame);
    void onDisconnected(ConnectionId id);

    std::shared_ptr<const Site> m_site;
    SessionService& m_service;
    const Options m_options;
    const QByteArray m_token;
    std::shared_ptr<Gate> m_gate;
    std::shared_ptr<HotReloadBox> m_hotReload;
    std::optional<Authorizer> m_auth; // built once the port is known
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
    HttpServer* m_http = nullptr;
    std::map<ConnectionId, QWebSocket*> m_sockets;
    // The session of each open WebSocket (maxConnectionsPerSession).
    std::map<ConnectionId, QString> m_sessionOf;
};

// Hands jobs from any thread to the Core on the server thread, in the order they were posted.
// The jobs travel through a std::mutex-guarded queue rather than as queued Qt meta-calls, so
// ThreadSanitizer sees every hand-over (DEVELOPING.md); the Qt event only wakes the thread.
// Closed by the last job, which destroys the Core: from then on jobs are refused, so nothing is
// ever run on a dead Core, and callbacks that outlive the server are simply dropped.
class SiteServer::Gate final
{
public:
    using Job = std::function<void(Core&)>;

    // Before the server thread starts: where jobs go and who wakes the thread.
    void open(Context* context, Core* core)
    {
        std::lock_guard lock(m_mutex);
        m_context = context;
        m_core = core;
        m_closed = false;
    }

    // Queues job; false (job dropped) once closed.
    bool post(Job job)
    {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return false;
        m_jobs.push_back(std::move(job));
        wakeLocked();
        return true;
    }

    // Queues job after everything already queued and closes the gate; after job has run, the
    // Core is destroyed (on the server thread).
    void postLast(Job job)
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_jobs.push_back([this, job = std::move(job)](Core& core) {
            job(core);
            Core* dead = nullptr;
            {
                std::lock_guard lock(m_mutex);
                dead = std::exchange(m_core, nullptr);
                m_context = nullptr; // deleted when the thread finishes
            }
            delete dead;
        });
        wakeLocked();
    }

    // Server thread: runs what is queued.
    void drain()
    {
        std::deque<Job> batch;
        {
            std::lock_guard lock(m_mutex);
            batch.swap(m_jobs);
            m_wakePending = false;
        }
        for (Job& job : batch) {
            Core* core = nullptr;
            {
                std::lock_guard lock(m_mutex);
                core = m_core;
            }
            if (core)
                job(*core);
            job = nullptr; // what it captured is released here, on this thread
        }
    }

private:
    void wakeLocked();

    std::mutex m_mutex;
    std::deque<Job> m_jobs;
    bool m_wakePending = false;
    bool m_closed = true;
    Context* m_context = nullptr;
    Core* m_core = nullptr;
};

// Lives on the server thread; its invokable is the wake-up call (the event carries no data).
class SiteServer::Context final : public QObject
{
    Q_OBJECT

public:
    explicit Context(std::shared_ptr<Gate> gate) : m_gate(std::move(gate)) { }

    Q_INVOKABLE void drain() { m_gate->drain(); }

private:
    std::shared_ptr<Gate> m_gate;
};

void SiteServer::Gate::wakeLocked()
{
    if (m_wakePending || !m_context)
        return;
    m_wakePending = true;
    static const QMetaMethod drainMethod
        = Context::staticMetaObject.method(Context::staticMetaObject.indexOfMethod("drain()"));
    drainMethod.invoke(m_context, Qt::QueuedConnection);
}

Expected<quint16, QString> SiteServer::Core::listen()
{
    m_http = new HttpServer(
        [this](const QHttpServerRequest& request, QTcpSocket* socket,
            QHttpServerResponder&& responder) {
            handleRequest(request, socket, std::move(responder));
        },
        this);
    // Connected before listening: QAbstractHttpServer drops upgrades nobody listens for.
    connect(m_http, &QAbstractHttpServer::newWebSocketConnection, this, &Core::onNewWebSocket);

    auto* tcp = new TcpServer(m_options);
    if (!tcp->listen(m_options.host, m_options.port)) {
        const QString error = u"cannot listen on %1: %2"_s.arg(
            hostAndPort(m_options.host, m_options.port), describeListenError(*tcp));
        delete tcp;
        return unexpected(error);
    }
    const quint16 port = tcp->serverPort();
    m_auth.emplace(m_token, m_options.host, port);
    m_http->bind(tcp); // takes ownership
    return port;
}

void SiteServer::Core::shutdown()
{
    if (!m_http)
        return;
    for (QTcpServer* server : m_http->servers())
        server->close(); // no new connections

    // Going away (1001) for every session connection; give the closing handshakes a moment so
    // clients see a clean close rather than a reset.
    QEventLoop loop;
    int closing = 0;
    const auto sockets = std::exchange(m_sockets, {});
    m_sessionOf.clear();
    for (const auto& [id, socket] : sockets) {
        disconnect(socket, nullptr, this, nullptr);
        m_service.closeConnection(id);
        if (socket->state() != QAbstractSocket::ConnectedState)
            continue;
        ++closing;
        connect(socket, &QWebSocket::disconnected, &loop, [&closing, &loop] {
            if (--closing == 0)
                loop.quit();
        });
        socket->close(QWebSocketProtocol::CloseCodeGoingAway, u"server stopping"_s);
    }
    if (closing > 0) {
        QTimer::singleShot(kCloseWaitMs, &loop, &QEventLoop::quit);
        loop.exec();
    }
    for (const auto& [id, socket] : sockets)
        delete socket;
    // Refused sockets still closing, and the HTTP server with its open connections.
    const auto children = findChildren<QWebSocket*>(Qt::FindDirectChildrenOnly);
    for (QWebSocket* socket : children)
        delete socket;
    delete std::exchange(m_http, nullptr);
}

void SiteServer::Core::handleRequest(
    const QHttpServerRequest& request, QTcpSocket* socket, QHttpServerResponder&& responder)
{
    const QUrl url = request.url();
    const QString path = url.path(QUrl::FullyEncoded);
    if (path == u"/api"_s || path.startsWith(u"/api/"_s)) {
        handleApi(request, socket, std::move(responder), QStringView(path).mid(4));
        return;
    }
    if (isWebRoute(url)) {
        handleWeb(request, socket, std::move(responder));
        return;
    }
    const bool head = request.method() == QHttpServerRequest::Method::Head;
    const Authorizer::Decision decision = m_auth->check(authRequest(request.headers(), url, false));
    if (!decision.allowed()) {
        // No CORS headers, ever: another origin's script must not read even this.
        writeReply(responder, textReply(Status::Forbidden, Authorizer::message(decision.verdict)),
            head, {});
        return;
    }
    const QByteArray tokenCookie = decision.tokenFromQuery ? m_auth->tokenCookie() : QByteArray();

    if (request.method() != QHttpServerRequest::Method::Get && !head) {
        Reply reply = textReply(Status::MethodNotAllowed, "method not allowed");
        reply.headers.emplace_back("Allow", "GET, HEAD");
        writeReply(responder, reply, head, tokenCookie);
        return;
    }

    if (path == u"/"_s) {
        createSession(PendingReply::hold(std::move(responder), socket, head, tokenCookie));
        return;
    }

    const QStringView rest = QStringView(path).mid(1); // without the leading '/'
    const qsizetype slash = rest.indexOf(u'/');
    const QStringView first = slash < 0 ? rest : rest.left(slash);
    const QStringView below = slash < 0 ? QStringView() : rest.mid(slash);

    Reply reply;
    if (first == u"lunette"_s) {
        reply = below.startsWith(u"/shoelace/"_s) ? shoelaceReply(below.mid(9))
                                                  : resourceReply(below);
    } else if (first == u"ws"_s) {
        reply = textReply(Status::BadRequest, "a WebSocket upgrade was expected");
    } else if (isSessionId(first)) {
        const QString sessionId = first.toString();
        if (!m_service.hasSession(sessionId)) {
            reply = sessionEndedReply();
        } else if (below == u"/variables.json"_s) {
            sendVariables(
                sessionId, PendingReply::hold(std::move(responder), socket, head, tokenCookie));
            return;
        } else {
            reply = sessionReply(sessionId, below);
        }
    } else {
        reply = staticReply(path);
    }
    writeReply(responder, reply, head, tokenCookie);
}

void SiteServer::Core::handleApi(const QHttpServerRequest& request, QTcpSocket* socket,
    QHttpServerResponder&& responder, QStringView path)
{
    const bool head = request.method() == QHttpServerRequest::Method::Head;
    // A foreign Origin is refused on every API route, not only the state-changing ones; a missing
    // Origin (curl, lunette eval) is fine. No token cookie is ever set from here.
    const Authorizer::Decision decision
        = m_auth->check(authRequest(request.headers(), request.url(), false, true));
    if (!decision.allowed()) {
        writeReply(responder, api::refused(decision.verdict), head, {});
        return;
    }
    auto routed = api::route(request.method(), path);
    if (!routed) {
        writeReply(responder, routed.error(), head, {});
        return;
    }
    auto pending = PendingReply::hold(std::move(responder), socket, head);
    // Builds the reply on the server thread from what the session layer gave back.
    const auto later = [gate = m_gate, pending](std::function<Reply()> build) {
        gate->post([pending, build = std::move(build)](Core&) {
            if (!pending->clientGone())
                pending->complete(build());
        });
    };
    const QString& id = routed->sessionId;
    switch (routed->route) {
    case api::Route::Health:
        m_service.sessionInfos([later, site = m_site, started = m_started](
                                   std::vector<SessionService::SessionInfo> infos) {
            const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::steady_clock::now() - started);
            later([site, count = infos.size(), uptime] {
                return api::healthReply(*site, count, uptime);
            });
        });
        return;
    case api::Route::Site:
        later([site = m_site, box = m_hotReload] { return api::siteReply(*site, box->get()); });
        return;
    case api::Route::Sessions:
        m_service.sessionInfos([later](std::vector<SessionService::SessionInfo> infos) {
            later([infos = std::move(infos)] { return api::sessionsReply(infos); });
        });
        return;
    case api::Route::SessionVariables:
        m_service.variables(id, [later](const SessionService::VariablesSnapshot& snapshot) {
            later([snapshot] { return api::variablesReply(snapshot); });
        });
        return;
    case api::Route::SessionEval: {
        auto code = api::evalCode(request.body());
        if (!code) {
            later([reply = code.error()] { return reply; });
            return;
        }
        m_service.evaluate(id, *code, [later](const SessionService::Evaluation& evaluation) {
            later([evaluation] { return api::evaluationReply(evaluation); });
        });
        return;
    }
    case api::Route::SessionReload:
        m_service.reloadSession(id, [later](const SessionService::Outcome& outcome) {
            later([outcome] { return api::reloadReply(outcome); });
        });
        return;
    case api::Route::SessionDelete:
        m_service.endSession(
            id, [later](bool found) { later([found] { return api::endReply(found); }); });
        return;
    }
}

bool SiteServer::Core::isWebRoute(const QUrl& url) const
{
    const SiteManifest& manifest = m_site->manifest();
    if (!manifest.permissions.contains(u"web"_s))
        return false;
    const QString path = url.path(QUrl::FullyDecoded);
    return path == manifest.webPrefix || path.startsWith(manifest.webPrefix + u'/');
}

void SiteServer::Core::handleWeb(
    const QHttpServerRequest& request, QTcpSocket* socket, QHttpServerResponder&& responder)
{
    using Method = QHttpServerRequest::Method;
    const bool head = request.method() == Method::Head;
    const QUrl url = request.url();
    SessionService::WebRequest web;
    web.path = url.path(QUrl::FullyDecoded);
    Authorizer::Request auth = authRequest(request.headers(), url, false, true);
    auth.tokenOptional
        = m_options.allowPublicRoutes && m_site->manifest().webPublic.contains(web.path);
    const Authorizer::Decision decision = m_auth->check(auth);
    if (!decision.allowed()) {
        writeReply(responder, api::refused(decision.verdict), head, {});
        return;
    }
    static const std::pair<Method, const char*> methods[]
        = { { Method::Get, "GET" }, { Method::Head, "GET" }, { Method::Post, "POST" },
              { Method::Put, "PUT" }, { Method::Patch, "PATCH" }, { Method::Delete, "DELETE" } };
    for (const auto& [method, name] : methods) {
        if (request.method() == method)
            web.method = QString::fromLatin1(name);
    }
    if (web.method.isEmpty()) {
        Reply reply = api::error(Status::MethodNotAllowed, "method-not-allowed",
            u"Lua routes take GET, POST, PUT, PATCH and DELETE"_s);
        reply.headers.emplace_back("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE");
        writeReply(responder, reply, head, {});
        return;
    }
    for (const auto& [name, value] : QUrlQuery(url).queryItems(QUrl::FullyDecoded)) {
        if (name != u"token"_s) // the launch token is the server's, not the route's
            web.query.append({ name, value });
    }
    for (const auto& [name, value] : request.headers()) {
        const QByteArray lower = name.toLower();
        if (lower != "cookie" && lower != "authorization") // they carry the launch token
            web.headers.append({ name, value });
    }
    web.body = request.body();
    auto pending = PendingReply::hold(std::move(responder), socket, head);
    m_service.handleWebRequest(
        web, [gate = m_gate, pending](const SessionService::WebResponse& response) {
            gate->post([pending, response](Core&) {
                pending->complete(Reply { static_cast<Status>(response.status),
                    response.contentType, response.body, response.headers });
            });
        });
}

void SiteServer::Core::createSession(std::shared_ptr<PendingReply> pending)
{
    m_service.createSession(
        [gate = m_gate, pending = std::move(pending)](const SessionService::Created& created) {
            gate->post([pending, created](Core& core) { core.finishCreate(*pending, created); });
        });
}

void SiteServer::Core::finishCreate(PendingReply& pending, const SessionService::Created& created)
{
    if (pending.clientGone())
        return;
    Reply reply;
    if (created.ok() && isSessionId(created.sessionId)) {
        reply = textReply(Status::TemporaryRedirect, "redirecting to the new session");
        reply.headers.emplace_back("Location", '/' + created.sessionId.toLatin1());
        reply.headers.emplace_back("Set-Cookie", sessionCookie(created.sessionId));
    } else if (created.ok()) {
        qCWarning(lcServer, "the session layer returned a malformed id");
        reply = textReply(Status::InternalServerError, "internal error: bad session id");
    } else if (created.busy) {
        reply = textReply(Status::ServiceUnavailable, created.error.toUtf8());
        reply.headers.emplace_back("Retry-After", "5");
    } else {
        reply = createFailedReply(created);
    }
    pending.complete(reply);
}

void SiteServer::Core::sendVariables(
    const QString& sessionId, std::shared_ptr<PendingReply> pending)
{
    m_service.variables(sessionId,
        [gate = m_gate, pending = std::move(pending)](
            const SessionService::VariablesSnapshot& snapshot) {
            gate->post(
                [pending, snapshot](Core& core) { core.finishVariables(*pending, snapshot); });
        });
}

void SiteServer::Core::finishVariables(
    PendingReply& pending, const SessionService::VariablesSnapshot& snapshot)
{
    if (pending.clientGone())
        return;
    Reply reply;
    if (snapshot.found) {
        reply = Reply { Status::Ok, QByteArrayLiteral("application/json"), snapshot.json, {} };
        reply.headers.emplace_back("X-Change-Count", QByteArray::number(snapshot.changeCount));
    } else {
        reply = Reply { Status::NotFound, QByteArrayLiteral("application/json"),
            QByteArrayLiteral("{\"error\":\"session not found\"}"), {} };
    }
    pending.complete(reply);
}

Reply SiteServer::Core::sessionReply(const QString& sessionId, QStringView rest) const
{
    Reply reply;
    if (rest == u"/variables"_s) {
        const auto html = readFile(kResourceRoot + u"/variables.html"_s);
        reply = html ? htmlReply(Status::Ok, *html)
                     : textReply(Status::InternalServerError, "variables.html is missing");
    } else {
        reply = pageReply();
    }
    reply.headers.emplace_back("Set-Cookie", sessionCookie(sessionId));
    return reply;
}

Reply SiteServer::Core::pageReply() const
{
    // The site's own page when it has one, else the engine's default page.
    if (m_site->hasHtml()) {
        const auto index = m_site->resolveStatic(u"/index.html");
        if (index) {
            if (const auto html = readFile(*index))
                return withLocalShoelace(htmlReply(Status::Ok, *html));
        }
    }
    if (const auto html = readFile(kResourceRoot + u"/default-index.html"_s))
        return htmlReply(Status::Ok, *html);
    return textReply(Status::InternalServerError, "default-index.html is missing");
}

Reply SiteServer::Core::staticReply(QStringView path) const
{
    const auto file = m_site->resolveStatic(path);
    if (!file) {
        if (file.error().kind == StaticError::Kind::Forbidden)
            return textReply(Status::Forbidden, "forbidden");
        return textReply(Status::NotFound, "not found");
    }
    const auto content = readFile(*file);
    if (!content)
        return textReply(Status::NotFound, "not found");
    return withLocalShoelace(Reply { Status::Ok, mimeTypeFor(*file), *content, {} });
}

Reply SiteServer::Core::resourceReply(QStringView relative) const
{
    const auto name = safeRelativePath(relative);
    if (!name)
        return textReply(Status::Forbidden, "forbidden");
    const QString path = kResourceRoot + u'/' + *name;
    if (name->isEmpty() || !QFileInfo(path).isFile())
        return textReply(Status::NotFound, "not found");
    const auto content = readFile(path);
    if (!content)
        return textReply(Status::NotFound, "not found");
    return Reply { Status::Ok, mimeTypeFor(path), *content, {} };
}

Reply SiteServer::Core::shoelaceReply(QStringView relative) const
{
    if (m_options.shoelaceDir.isEmpty())
        return textReply(Status::NotFound, "Shoelace is not installed with this Lunette");
    const auto name = safeRelativePath(relative);
    if (!name)
        return textReply(Status::Forbidden, "forbidden");
    const QString root = QFileInfo(m_options.shoelaceDir).canonicalFilePath();
    const QString file = QFileInfo(m_options.shoelaceDir + u'/' + *name).canonicalFilePath();
    if (name->isEmpty() || root.isEmpty() || !file.startsWith(root + u'/')
        || !QFileInfo(file).isFile())
        return textReply(Status::NotFound, "not found");
    const auto content = readFile(file);
    if (!content)
        return textReply(Status::NotFound, "not found");
    return Reply { Status::Ok, mimeTypeFor(file), *content, {} };
}

Reply SiteServer::Core::withLocalShoelace(Reply reply) const
{
    if (!m_options.shoelaceDir.isEmpty() && reply.contentType.startsWith("text/html"))
        reply.body = localizeShoelace(std::move(reply.body));
    return reply;
}

void SiteServer::Core::onNewWebSocket()
{
    while (m_http && m_http->hasPendingWebSocketConnections()) {
        std::unique_ptr<QWebSocket> socket = m_http->nextPendingWebSocketConnection();
        if (!socket)
            break;
        QWebSocket* raw = socket.release();
        raw->setParent(this);
        acceptWebSocket(raw);
    }
}

void SiteServer::Core::acceptWebSocket(QWebSocket* socket)
{
    // Qt 6.4 has already answered the upgrade; nothing from this socket is read or answered
    // until every check below has passed.
    const QUrl url = socket->requestUrl();
    const QString path = url.path(QUrl::FullyEncoded);
    QStringView sessionId;
    if (path.startsWith(u"/ws/"_s)) {
        const QStringView rest = QStringView(path).mid(4);
        sessionId = rest.left(rest.indexOf(u'/'));
    }

    const QNetworkRequest request = socket->request();
    HeaderPairs headers;
    for (const QByteArray& name : request.rawHeaderList())
        headers.append({ name, request.rawHeader(name) });
    Authorizer::Request auth = authRequest(headers, url, true);
    // QWebSocket parses Origin itself; trust its view when the raw header list lacks it.
    if (!auth.hasOrigin && !socket->origin().isEmpty()) {
        auth.hasOrigin = true;
        auth.origin = socket->origin().toUtf8();
    }
    const Authorizer::Decision decision = m_auth->check(auth);
    if (!decision.allowed()) {
        refuseWebSocket(socket, QString::fromLatin1(Authorizer::message(decision.verdict)));
        return;
    }
    if (!isSessionId(sessionId)) {
        refuseWebSocket(socket, u"not found: no such WebSocket endpoint"_s);
        return;
    }
    const QString sid = sessionId.toString();
    if (!m_service.hasSession(sid)) {
        refuseWebSocket(socket, u"not found: this session has ended"_s);
        return;
    }

    const auto connections = std::count_if(m_sessionOf.begin(), m_sessionOf.end(),
        [&sid](const auto& entry) { return entry.second == sid; });
    if (m_options.maxConnectionsPerSession > 0
        && connections >= m_options.maxConnectionsPerSession) {
        refuseWebSocket(socket,
            u"too many connections to this session (limit %1)"_s.arg(
                m_options.maxConnectionsPerSession));
        return;
    }

    const ConnectionId id = g_nextConnectionId.fetch_add(1);
    m_sessionOf.emplace(id, sid);
    const qint64 cap = std::max(kHardMessageCap, m_options.maxFrameBytes);
    socket->setMaxAllowedIncomingMessageSize(static_cast<quint64>(cap));
    socket->setMaxAllowedIncomingFrameSize(static_cast<quint64>(cap));
    m_sockets.emplace(id, socket);
    m_service.openConnection(sid, id);

    connect(socket, &QWebSocket::textMessageReceived, this,
        [this, id](const QString& message) { deliver(id, message.toUtf8()); });
    // Binary frames are handed over as they are: the session layer validates UTF-8 and JSON and
    // answers bad-message, as for any other malformed frame.
    connect(socket, &QWebSocket::binaryMessageReceived, this,
        [this, id](const QByteArray& message) { deliver(id, message); });
    connect(socket, &QWebSocket::disconnected, this, [this, id] { onDisconnected(id); });
}

void SiteServer::Core::refuseWebSocket(QWebSocket* socket, const QString& reason)
{
    qCInfo(lcServer, "WebSocket %s refused: %s", qUtf8Printable(socket->requestUrl().path()),
        qUtf8Printable(reason));
    // Close code 1008 (policy violation) and nothing else; a client that never answers the close
    // frame is cut off.
    connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(kRefusedAbortMs, socket, [socket] { socket->abort(); });
    socket->close(QWebSocketProtocol::CloseCodePolicyViolated, reason);
}

void SiteServer::Core::deliver(ConnectionId id, const QByteArray& frame)
{
    if (frame.size() > m_options.maxFrameBytes) {
        send(id,
            QByteArrayLiteral("{\"type\":\"error\",\"data\":{\"code\":\"bad-message\","
                              "\"description\":\"frame too large (")
                + QByteArray::number(frame.size()) + " bytes, limit "
                + QByteArray::number(m_options.maxFrameBytes) + ")\"}}");
        return;
    }
    m_service.receiveFrame(id, frame);
}

void SiteServer::Core::onDisconnected(ConnectionId id)
{
    const auto it = m_sockets.find(id);
    if (it == m_sockets.end())
        return;
    QWebSocket* socket = it->second;
    m_sockets.erase(it);
    m_sessionOf.erase(id);
    m_service.closeConnection(id);
    socket->deleteLater();
}

void SiteServer::Core::send(ConnectionId id, const QByteArray& frame)
{
    const auto it = m_sockets.find(id);
    if (it == m_sockets.end())
        return;
    // One message per frame, pushed to the kernel now rather than on the next loop turn.
    it->second->sendTextMessage(QString::fromUtf8(frame));
    it->second->flush();
}

void SiteServer::Core::close(ConnectionId id, quint16 code, const QString& reason)
{
    const auto it = m_sockets.find(id);
    if (it == m_sockets.end())
        return;
    it->second->close(static_cast<QWebSocketProtocol::CloseCode>(code), reason);
}

// ---------------------------------------------------------------------------------------------

SiteServer::SiteServer(std::shared_ptr<const Site> site, SessionService& service, Options options)
    : m_site(std::move(site))
    , m_service(service)
    , m_options(std::move(options))
    , m_token(m_options.token.isEmpty() ? randomToken() : m_options.token)
    , m_gate(std::make_shared<Gate>())
    , m_hotReload(std::make_shared<HotReloadBox>())
{
    Q_ASSERT(m_site);
    m_service.setConnectionSink(this);
}

SiteServer::~SiteServer()
{
    stop();
    m_service.setConnectionSink(nullptr);
}

void SiteServer::preloadTls()
{
#if QT_CONFIG(ssl)
    QThreadPool::globalInstance()->start([] { QSslConfiguration configuration; });
#endif
}

Expected<void, QString> SiteServer::start()
{
    if (m_thread)
        return unexpected(u"the server is already running"_s);

    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName(u"lunette-server"_s);
    auto* context = new Context(m_gate);
    context->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, context, &QObject::deleteLater);
    auto* core = new Core(m_site, m_service, m_options, m_token, m_gate, m_hotReload);
    core->moveToThread(m_thread.get());
    m_gate->open(context, core);
    m_thread->start();

    // The semaphores make each hand-over visible to ThreadSanitizer (Qt's own are not).
    Expected<quint16, QString> listening = unexpected(QString());
    std::binary_semaphore ready { 0 };
    m_gate->post([&listening, &ready](Core& server) {
        listening = server.listen();
        ready.release();
    });
    ready.acquire();
    if (!listening) {
        finish();
        return unexpected(listening.error());
    }
    m_port.store(*listening);
    qCInfo(lcServer, "serving %s on %s", qUtf8Printable(m_site->root()), qUtf8Printable(origin()));
    return {};
}

void SiteServer::stop()
{
    if (!m_thread)
        return;
    finish();
    m_port.store(0);
}

void SiteServer::finish()
{
    Q_ASSERT(QThread::currentThread() != m_thread.get());
    // Jobs already queued (frames the session layer sent before stop) still run first; from now
    // on the sink drops everything.
    std::binary_semaphore done { 0 };
    m_gate->postLast([&done](Core& server) {
        server.shutdown();
        done.release();
    });
    done.acquire();
    m_thread->quit();
    m_thread->wait();
    m_thread.reset();
}

QString SiteServer::hostForUrls() const
{
    const QHostAddress& host = m_options.host;
    if (host == QHostAddress(QHostAddress::LocalHostIPv6)
        || host == QHostAddress(QHostAddress::AnyIPv6))
        return u"[::1]"_s;
    if (host.isLoopback() || host == QHostAddress(QHostAddress::Any)
        || host == QHostAddress(QHostAddress::AnyIPv4))
        return u"127.0.0.1"_s;
    return host.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + host.toString() + u']'
                                                            : host.toString();
}

QString SiteServer::origin() const
{
    return u"http://"_s + hostForUrls() + u':' + QString::number(port());
}

QUrl SiteServer::url() const
{
    QUrl url(origin() + u"/"_s);
    url.setQuery(u"token="_s + m_token);
    return url;
}

void SiteServer::setHotReloadState(const HotReloadState& state)
{
    m_hotReload->set(state);
}

HotReloadState SiteServer::hotReloadState() const
{
    return m_hotReload->get();
}

void SiteServer::sendFrame(ConnectionId id, const QByteArray& frame)
{
    m_gate->post([id, frame](Core& core) { core.send(id, frame); });
}

void SiteServer::closeConnection(ConnectionId id, quint16 code, const QString& reason)
{
    m_gate->post([id, code, reason](Core& core) { core.close(id, code, reason); });
}

} // namespace lunette

#include "SiteServer.moc"

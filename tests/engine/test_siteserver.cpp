#include <QtTest>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkCookie>
#include <QNetworkCookieJar>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <QWebSocket>

#include "lua/LuaExecutor.h"
#include "server/SessionService.h"
#include "server/SiteServer.h"
#include "site/Site.h"
#include "support/TestSupport.h"

using namespace lunette;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 5000;

// A stand-in for the session layer, so the server can be tested on its own: it keeps a set of
// session ids, records what the server hands it, and answers the way the real SessionManager does
// — from another thread (a real LuaExecutor), through the ConnectionSink. Frames are echoed back
// as "echo:<frame>".
class RecordingSessionService final : public SessionService
{
public:
    struct Frame
    {
        ConnectionId id;
        QByteArray bytes;
    };

    // --- set-up (test thread) ---
    QString addSession()
    {
        const QString id = randomSessionId();
        std::lock_guard lock(m_mutex);
        m_sessions.insert(id);
        return id;
    }
    void failCreation(const QString& error, const QString& location)
    {
        std::lock_guard lock(m_mutex);
        m_failError = error;
        m_failLocation = location;
    }
    void setVariables(const QByteArray& json, quint64 changeCount)
    {
        std::lock_guard lock(m_mutex);
        m_variablesJson = json;
        m_changeCount = changeCount;
    }
    // Like the session layer closing a connection (from the executor thread).
    void closeFromExecutor(ConnectionId id, quint16 code, const QString& reason)
    {
        m_executor.post([this, id, code, reason] {
            std::lock_guard lock(m_mutex);
            if (m_sink)
                m_sink->closeConnection(id, code, reason);
        });
    }
    // Sends `count` numbered frames in one executor turn.
    void burst(ConnectionId id, int count)
    {
        m_executor.post([this, id, count] {
            std::lock_guard lock(m_mutex);
            for (int i = 0; i < count && m_sink; ++i)
                m_sink->sendFrame(id, "burst " + QByteArray::number(i));
        });
    }

    // --- observations (test thread) ---
    std::vector<Frame> frames() const
    {
        std::lock_guard lock(m_mutex);
        return m_frames;
    }
    std::vector<std::pair<QString, ConnectionId>> opened() const
    {
        std::lock_guard lock(m_mutex);
        return m_opened;
    }
    std::vector<ConnectionId> closed() const
    {
        std::lock_guard lock(m_mutex);
        return m_closed;
    }
    int createCalls() const { return m_createCalls.load(); }
    ConnectionSink* sink() const
    {
        std::lock_guard lock(m_mutex);
        return m_sink;
    }
    std::set<QString> sessions() const
    {
        std::lock_guard lock(m_mutex);
        return m_sessions;
    }

    // --- SessionService ---
    void setConnectionSink(ConnectionSink* sink) override
    {
        std::lock_guard lock(m_mutex);
        m_sink = sink;
    }

    void createSession(std::function<void(const Created&)> done) override
    {
        ++m_createCalls;
        m_executor.post([this, done = std::move(done)] {
            Created created;
            {
                std::lock_guard lock(m_mutex);
                if (m_failError.isEmpty()) {
                    created.sessionId = randomSessionId();
                    m_sessions.insert(created.sessionId);
                } else {
                    created.error = m_failError;
                    created.location = m_failLocation;
                }
            }
            done(created);
        });
    }

    bool hasSession(const QString& sessionId) const override
    {
        std::lock_guard lock(m_mutex);
        return m_sessions.contains(sessionId);
    }

    void openConnection(const QString& sessionId, ConnectionId id) override
    {
        m_executor.post([this, sessionId, id] {
            std::lock_guard lock(m_mutex);
            m_opened.emplace_back(sessionId, id);
        });
    }

    void receiveFrame(ConnectionId id, const QByteArray& frame) override
    {
        m_executor.post([this, id, frame] {
            std::lock_guard lock(m_mutex);
            m_frames.push_back({ id, frame });
            if (m_sink)
                m_sink->sendFrame(id, "echo:" + frame);
        });
    }

    void closeConnection(ConnectionId id) override
    {
        m_executor.post([this, id] {
            std::lock_guard lock(m_mutex);
            m_closed.push_back(id);
        });
    }

    void variables(
        const QString& sessionId, std::function<void(const VariablesSnapshot&)> done) override
    {
        m_executor.post([this, sessionId, done = std::move(done)] {
            VariablesSnapshot snapshot;
            {
                std::lock_guard lock(m_mutex);
                snapshot.found = m_sessions.contains(sessionId);
                if (snapshot.found) {
                    snapshot.json = m_variablesJson;
                    snapshot.changeCount = m_changeCount;
                }
            }
            done(snapshot);
        });
    }

    // The control API is tested against the real session layer (test_apiroutes); here it only
    // lists the sessions and knows nothing else.
    void sessionInfos(std::function<void(std::vector<SessionInfo>)> done) override
    {
        m_executor.post([this, done = std::move(done)] {
            std::vector<SessionInfo> infos;
            std::lock_guard lock(m_mutex);
            for (const QString& id : m_sessions)
                infos.push_back({ id, 0, {}, {}, 0 });
            done(std::move(infos));
        });
    }
    void evaluate(
        const QString&, const QString&, std::function<void(const Evaluation&)> done) override
    {
        Evaluation missing;
        missing.status = Evaluation::Status::NotFound;
        m_executor.post([missing, done = std::move(done)] { done(missing); });
    }
    void reloadSession(const QString&, std::function<void(const Outcome&)> done) override
    {
        m_executor.post([done = std::move(done)] { done(Outcome {}); });
    }
    void endSession(const QString&, std::function<void(bool)> done) override
    {
        m_executor.post([done = std::move(done)] { done(false); });
    }
    void handleWebRequest(const WebRequest&, std::function<void(const WebResponse&)> done) override
    {
        WebResponse none;
        none.status = 404;
        m_executor.post([none, done = std::move(done)] { done(none); });
    }

    static QString randomSessionId()
    {
        std::array<quint32, 4> words {};
        QRandomGenerator::global()->fillRange(words.data(), words.size());
        return QString::fromLatin1(
            QByteArray(reinterpret_cast<const char*>(words.data()), sizeof(words)).toHex());
    }

private:
    mutable std::mutex m_mutex;
    ConnectionSink* m_sink = nullptr;
    std::set<QString> m_sessions;
    QString m_failError;
    QString m_failLocation;
    QByteArray m_variablesJson = "[]";
    quint64 m_changeCount = 0;
    std::vector<Frame> m_frames;
    std::vector<std::pair<QString, ConnectionId>> m_opened;
    std::vector<ConnectionId> m_closed;
    std::atomic<int> m_createCalls { 0 };
    // Last: destroyed first, so no closure runs on a half-destroyed service.
    LuaExecutor m_executor { u"test-sessions"_s };
};

// One HTTP response read off a raw socket.
struct RawResponse
{
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    QByteArrayList values(const QByteArray& name) const
    {
        QByteArrayList result;
        for (const auto& [key, value] : headers) {
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                result.append(value);
        }
        return result;
    }
    QByteArray value(const QByteArray& name) const
    {
        const QByteArrayList all = values(name);
        return all.isEmpty() ? QByteArray() : all.first();
    }
};

// A raw HTTP/1.1 client: sends exactly the bytes it is given (forged Host headers, undecoded
// paths) and reads responses by Content-Length, so several can share one connection.
class RawClient
{
public:
    explicit RawClient(quint16 port)
    {
        m_socket.setProxy(QNetworkProxy::NoProxy);
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        m_socket.waitForConnected(kWaitMs);
    }

    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    QTcpSocket& socket() { return m_socket; }

    RawResponse exchange(const QByteArray& request, bool head = false)
    {
        m_socket.write(request);
        m_socket.flush();
        RawResponse response;
        const QDeadlineTimer deadline(kWaitMs);
        qsizetype end = -1;
        while ((end = m_buffer.indexOf("\r\n\r\n")) < 0) {
            if (!readMore(deadline))
                return response;
        }
        const QList<QByteArray> lines = m_buffer.left(end).split('\n');
        const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
        response.status = statusLine.size() > 1 ? statusLine.at(1).toInt() : 0;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines.at(i).indexOf(':');
            if (colon > 0)
                response.headers.append(
                    { lines.at(i).left(colon).trimmed(), lines.at(i).mid(colon + 1).trimmed() });
        }
        m_buffer.remove(0, end + 4);
        const qsizetype length = head ? 0 : response.value("Content-Length").toLongLong();
        while (m_buffer.size() < length) {
            if (!readMore(deadline))
                break;
        }
        response.body = m_buffer.left(length);
        m_buffer.remove(0, length);
        return response;
    }

    // Reads whatever arrives until the peer closes (or the deadline passes).
    QByteArray readUntilClosed()
    {
        const QDeadlineTimer deadline(kWaitMs);
        while (m_socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired())
            readMore(deadline);
        m_buffer += m_socket.readAll();
        return std::exchange(m_buffer, {});
    }

private:
    bool readMore(const QDeadlineTimer& deadline)
    {
        if (!m_socket.bytesAvailable()
            && !m_socket.waitForReadyRead(
                static_cast<int>(std::max<qint64>(1, deadline.remainingTime()))))
            return false;
        m_buffer += m_socket.readAll();
        return true;
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
};

QByteArray request(const QByteArray& target, const QByteArray& host,
    const QByteArrayList& extraHeaders = {}, const QByteArray& method = "GET")
{
    QByteArray text = method + ' ' + target + " HTTP/1.1\r\n";
    if (!host.isNull())
        text += "Host: " + host + "\r\n";
    for (const QByteArray& header : extraHeaders)
        text += header + "\r\n";
    return text + "\r\n";
}

QByteArray readSourceFile(const QString& relative)
{
    QFile file(test::sourceDir() + u'/' + relative);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

using lunette::test::writeFile;

QString fixtureSite()
{
    return test::sourceDir() + u"/tests/data/sites/static"_s;
}

// A SiteServer on a free loopback port, with its stand-in session service.
class LocalServer
{
public:
    explicit LocalServer(
        const QString& siteFolder = fixtureSite(), SiteServer::Options options = {})
    {
        auto site = Site::open(siteFolder);
        if (!site) {
            m_error = site.error();
            return;
        }
        server = std::make_unique<SiteServer>(*site, service, std::move(options));
        const auto started = server->start();
        if (!started)
            m_error = started.error();
    }

    bool ok() const { return m_error.isEmpty(); }
    const QString& error() const { return m_error; }
    quint16 port() const { return server->port(); }
    QByteArray token() const { return server->token().toLatin1(); }
    QByteArray host() const { return "127.0.0.1:" + QByteArray::number(port()); }
    QByteArray bearer() const { return "Authorization: Bearer " + token(); }

    // One authorized GET (or other method) on a fresh connection.
    RawResponse get(const QByteArray& target, const QByteArray& method = "GET")
    {
        RawClient client(port());
        return client.exchange(request(target, host(), { bearer() }, method), method == "HEAD");
    }

    QUrl httpUrl(const QString& path) const { return QUrl(server->origin() + path); }
    QUrl wsUrl(const QString& sessionId, bool withToken = true) const
    {
        QUrl url(u"ws://127.0.0.1:%1/ws/%2"_s.arg(port()).arg(sessionId));
        if (withToken)
            url.setQuery(u"token="_s + server->token());
        return url;
    }

    RecordingSessionService service; // declared first: outlives the server
    std::unique_ptr<SiteServer> server;

private:
    QString m_error;
};

// A WebSocket client that records what it receives.
class WsClient
{
public:
    // An empty origin sends no Origin header at all.
    explicit WsClient(const QString& origin) : m_socket(origin)
    {
        m_socket.setProxy(QNetworkProxy::NoProxy);
        QObject::connect(&m_socket, &QWebSocket::textMessageReceived,
            [this](const QString& message) { m_messages.append(message); });
        QObject::connect(&m_socket, &QWebSocket::connected, [this] {
            m_wasConnected = true;
            if (!m_sendOnConnect.isEmpty())
                m_socket.sendTextMessage(m_sendOnConnect);
        });
    }

    // Opens and waits until connected or closed.
    void open(const QNetworkRequest& request)
    {
        QSignalSpy connected(&m_socket, &QWebSocket::connected);
        QSignalSpy disconnected(&m_socket, &QWebSocket::disconnected);
        m_socket.open(request);
        QTRY_VERIFY_WITH_TIMEOUT(!connected.isEmpty() || !disconnected.isEmpty(), kWaitMs);
    }
    void open(const QUrl& url) { open(QNetworkRequest(url)); }

    // Sent from the connected() handler, before the server had any chance to refuse us.
    void sendOnConnect(const QString& text) { m_sendOnConnect = text; }

    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    bool wasConnected() const { return m_wasConnected; }
    bool waitClosed()
    {
        if (m_socket.state() == QAbstractSocket::UnconnectedState)
            return true;
        QSignalSpy disconnected(&m_socket, &QWebSocket::disconnected);
        return disconnected.wait(kWaitMs) || m_socket.state() == QAbstractSocket::UnconnectedState;
    }
    // The next message not yet taken, waiting for it; empty on timeout.
    QString next()
    {
        if (m_taken >= m_messages.size()) {
            QSignalSpy received(&m_socket, &QWebSocket::textMessageReceived);
            received.wait(kWaitMs);
        }
        return m_taken < m_messages.size() ? m_messages.at(m_taken++) : QString();
    }
    const QStringList& messages() const { return m_messages; }
    QWebSocket& socket() { return m_socket; }

private:
    QWebSocket m_socket;
    QStringList m_messages;
    qsizetype m_taken = 0;
    QString m_sendOnConnect;
    bool m_wasConnected = false;
};

struct Fetched
{
    int status = 0;
    QByteArray body;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QList<QNetworkReply::RawHeaderPair> headers;
    QList<QNetworkCookie> cookies;

    QByteArray header(const QByteArray& name) const
    {
        for (const auto& [key, value] : headers) {
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                return value;
        }
        return {};
    }
};

Fetched fetch(QNetworkAccessManager& nam, QNetworkRequest request)
{
    request.setAttribute(
        QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    std::unique_ptr<QNetworkReply> reply(nam.get(request));
    QSignalSpy finished(reply.get(), &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(kWaitMs);
    Fetched result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    result.error = reply->error();
    result.headers = reply->rawHeaderPairs();
    result.cookies = reply->header(QNetworkRequest::SetCookieHeader).value<QList<QNetworkCookie>>();
    return result;
}

int tcpNoDelay(qintptr descriptor)
{
    int value = -1;
    socklen_t length = sizeof(value);
    if (::getsockopt(static_cast<int>(descriptor), IPPROTO_TCP, TCP_NODELAY, &value, &length) != 0)
        return -1;
    return value != 0 ? 1 : 0;
}

} // namespace

class TestSiteServer final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    // lifecycle
    void tokenIsRandomUnlessGiven();
    void startFailsWhenThePortIsTaken();
    void registersAndUnregistersAsTheSink();

    // HTTP authorization
    void httpWithoutTokenIsForbidden();
    void httpWithWrongTokenIsForbidden_data();
    void httpWithWrongTokenIsForbidden();
    void httpTokenByCookie();
    void httpTokenByBearer();
    void httpTokenByQuerySetsTheCookie();
    void hostHeader_data();
    void hostHeader();
    void duplicateHostHeaderIsForbidden();
    void onlyGetAndHead();
    void headSendsNoBody();

    // static files
    void staticFilesWithMimeTypes_data();
    void staticFilesWithMimeTypes();
    void pathEscapesAreRefused_data();
    void pathEscapesAreRefused();
    void symlinksOutOfTheSiteAreRefused();

    // sessions and pages
    void rootCreatesASessionAndRedirects();
    void cookiesFromTheRedirectAuthorizeThePage();
    void createFailureShowsTheLuaError();
    void sessionPageIsTheSiteIndex();
    void defaultPageWithoutHtml();
    void engineResources();
    void shoelaceIsServedLocally();
    void variablesJsonIsPassedThrough();
    void variablesPage();
    void unknownSessionIs404();
    void wsPathWithoutUpgrade();

    // WebSocket
    void webSocketRoundTrip();
    void webSocketTokenVariants_data();
    void webSocketTokenVariants();
    void webSocketRefusals_data();
    void webSocketRefusals();
    void webSocketWithForgedHostIsRefused();
    void oversizedFrameGetsBadMessage();
    void framesArriveInOrderOnePerMessage();
    void sessionLayerCanCloseAConnection();

    // transport
    void everyAcceptedSocketHasLowDelay();
    void stopClosesClients();
};

void TestSiteServer::initTestCase()
{
    QVERIFY2(!test::sourceDir().isEmpty(), "LUNETTE_SOURCE_DIR must be set (run through ctest)");
}

// --- lifecycle --------------------------------------------------------------------------------

void TestSiteServer::tokenIsRandomUnlessGiven()
{
    LocalServer a;
    LocalServer b;
    QVERIFY2(a.ok() && b.ok(), qPrintable(a.error() + b.error()));
    const QRegularExpression hex64(u"^[0-9a-f]{64}$"_s);
    QVERIFY(hex64.match(a.server->token()).hasMatch());
    QVERIFY(hex64.match(b.server->token()).hasMatch());
    QVERIFY(a.server->token() != b.server->token());
    QCOMPARE(a.server->url(),
        QUrl(u"http://127.0.0.1:%1/?token=%2"_s.arg(a.port()).arg(a.server->token())));
    QCOMPARE(a.server->origin(), u"http://127.0.0.1:%1"_s.arg(a.port()));
    QVERIFY(a.port() != 0 && a.port() != b.port());

    SiteServer::Options options;
    options.token = u"given-token"_s;
    LocalServer c(fixtureSite(), options);
    QVERIFY(c.ok());
    QCOMPARE(c.server->token(), u"given-token"_s);
    QCOMPARE(c.get("/app.css").status, 200);
}

void TestSiteServer::startFailsWhenThePortIsTaken()
{
    LocalServer first;
    QVERIFY(first.ok());
    SiteServer::Options options;
    options.port = first.port();
    LocalServer second(fixtureSite(), options);
    QCOMPARE(second.error(), u"cannot listen on 127.0.0.1:%1: address in use"_s.arg(first.port()));
    QVERIFY(!second.server->isListening());
    // The first one still serves.
    QCOMPARE(first.get("/app.css").status, 200);
}

void TestSiteServer::registersAndUnregistersAsTheSink()
{
    RecordingSessionService service;
    auto site = Site::open(fixtureSite());
    QVERIFY(site);
    {
        SiteServer server(*site, service);
        QCOMPARE(service.sink(), static_cast<ConnectionSink*>(&server));
        QVERIFY(server.start());
        server.stop();
        server.stop(); // idempotent
        QCOMPARE(server.port(), quint16(0));
        // Frames for a stopped server are dropped, not crashed on.
        server.sendFrame(1, "late");
        server.closeConnection(1, 1000, u"late"_s);
    }
    QCOMPARE(service.sink(), nullptr);
}

// --- HTTP authorization -----------------------------------------------------------------------

void TestSiteServer::httpWithoutTokenIsForbidden()
{
    LocalServer server;
    QVERIFY(server.ok());
    for (const QByteArray target : { "/app.css", "/", "/lunette/default-index.html" }) {
        RawClient client(server.port());
        const RawResponse response = client.exchange(request(target, server.host()));
        QCOMPARE(response.status, 403);
        QCOMPARE(response.body, QByteArray("forbidden: missing or wrong token\n"));
        QCOMPARE(response.value("Content-Type"), QByteArray("text/plain; charset=utf-8"));
        QVERIFY(response.value("Set-Cookie").isEmpty());
        for (const auto& [name, value] : response.headers)
            QVERIFY2(!name.toLower().startsWith("access-control-"), name.constData());
    }
    QCOMPARE(server.service.createCalls(), 0);
}

void TestSiteServer::httpWithWrongTokenIsForbidden_data()
{
    QTest::addColumn<int>("kind"); // 0 bearer, 1 cookie, 2 query
    QTest::addColumn<int>("variant"); // 0 one char off, 1 prefix, 2 longer, 3 empty
    for (int kind = 0; kind < 3; ++kind) {
        for (int variant = 0; variant < 4; ++variant) {
            static const char* const kinds[] = { "bearer", "cookie", "query" };
            static const char* const variants[] = { "one char off", "prefix", "longer", "empty" };
            QTest::addRow("%s, %s", kinds[kind], variants[variant]) << kind << variant;
        }
    }
}

void TestSiteServer::httpWithWrongTokenIsForbidden()
{
    QFETCH(int, kind);
    QFETCH(int, variant);
    LocalServer server;
    QVERIFY(server.ok());
    QByteArray token = server.token();
    switch (variant) {
    case 0:
        token[10] = token[10] == 'a' ? 'b' : 'a';
        break;
    case 1:
        token.chop(1);
        break;
    case 2:
        token += '0';
        break;
    default:
        token.clear();
    }
    QByteArray target = "/app.css";
    QByteArrayList headers;
    if (kind == 0)
        headers.append("Authorization: Bearer " + token);
    else if (kind == 1)
        headers.append("Cookie: lunette-token=" + token);
    else
        target += "?token=" + token;
    RawClient client(server.port());
    const RawResponse response = client.exchange(request(target, server.host(), headers));
    QCOMPARE(response.status, 403);
    QCOMPARE(response.body, QByteArray("forbidden: missing or wrong token\n"));
    QVERIFY(response.value("Set-Cookie").isEmpty());
}

void TestSiteServer::httpTokenByCookie()
{
    LocalServer server;
    QVERIFY(server.ok());
    RawClient client(server.port());
    const RawResponse response = client.exchange(request("/app.css", server.host(),
        { "Cookie: other=1; lunette-token=" + server.token() + "; x=y" }));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, readSourceFile(u"tests/data/sites/static/html/app.css"_s));
    QVERIFY(response.value("Set-Cookie").isEmpty()); // only a query token sets the cookie
}

void TestSiteServer::httpTokenByBearer()
{
    LocalServer server;
    QVERIFY(server.ok());
    const RawResponse response = server.get("/app.css");
    QCOMPARE(response.status, 200);
    QVERIFY(response.body.contains("STATIC-FIXTURE-CSS"));
    QVERIFY(response.value("Set-Cookie").isEmpty());
}

void TestSiteServer::httpTokenByQuerySetsTheCookie()
{
    LocalServer server;
    QVERIFY(server.ok());
    RawClient client(server.port());
    const RawResponse response
        = client.exchange(request("/app.css?token=" + server.token(), server.host()));
    QCOMPARE(response.status, 200);
    QVERIFY(response.body.contains("STATIC-FIXTURE-CSS"));
    QCOMPARE(response.values("Set-Cookie"),
        QByteArrayList {
            "lunette-token=" + server.token() + "; Path=/; HttpOnly; SameSite=Strict" });
}

void TestSiteServer::hostHeader_data()
{
    QTest::addColumn<QByteArray>("host"); // %PORT% is replaced; a null value sends no Host
    QTest::addColumn<int>("status");
    QTest::newRow("127.0.0.1") << QByteArray("127.0.0.1:%PORT%") << 200;
    QTest::newRow("localhost") << QByteArray("localhost:%PORT%") << 200;
    QTest::newRow("LOCALHOST") << QByteArray("LOCALHOST:%PORT%") << 200;
    QTest::newRow("[::1]") << QByteArray("[::1]:%PORT%") << 200;
    QTest::newRow("evil.example") << QByteArray("evil.example") << 403;
    QTest::newRow("evil.example with port") << QByteArray("evil.example:%PORT%") << 403;
    QTest::newRow("rebinding lookalike") << QByteArray("localhost.evil.example:%PORT%") << 403;
    QTest::newRow("no port") << QByteArray("127.0.0.1") << 403;
    QTest::newRow("wrong port") << QByteArray("127.0.0.1:1") << 403;
    QTest::newRow("empty") << QByteArray("") << 403;
    QTest::newRow("missing") << QByteArray() << 403;
}

void TestSiteServer::hostHeader()
{
    QFETCH(QByteArray, host);
    QFETCH(int, status);
    LocalServer server;
    QVERIFY(server.ok());
    if (!host.isNull())
        host.replace("%PORT%", QByteArray::number(server.port()));
    RawClient client(server.port());
    const RawResponse response = client.exchange(request("/app.css", host, { server.bearer() }));
    QCOMPARE(response.status, status);
    if (status == 403)
        QCOMPARE(response.body, QByteArray("forbidden: bad Host header\n"));
    else
        QVERIFY(response.body.contains("STATIC-FIXTURE-CSS"));
}

void TestSiteServer::duplicateHostHeaderIsForbidden()
{
    LocalServer server;
    QVERIFY(server.ok());
    RawClient client(server.port());
    const RawResponse response = client.exchange(
        request("/app.css", server.host(), { "Host: evil.example", server.bearer() }));
    QCOMPARE(response.status, 403);
    QCOMPARE(response.body, QByteArray("forbidden: bad Host header\n"));
}

void TestSiteServer::onlyGetAndHead()
{
    LocalServer server;
    QVERIFY(server.ok());
    for (const QByteArray method : { "POST", "PUT", "DELETE", "OPTIONS" }) {
        RawClient client(server.port());
        const RawResponse response = client.exchange(
            request("/app.css", server.host(), { server.bearer(), "Content-Length: 0" }, method));
        QCOMPARE(response.status, 405);
        QCOMPARE(response.value("Allow"), QByteArray("GET, HEAD"));
    }
    // Authorization comes first: an unauthorized POST learns nothing about the routes.
    RawClient client(server.port());
    QCOMPARE(
        client.exchange(request("/app.css", server.host(), { "Content-Length: 0" }, "POST")).status,
        403);
}

void TestSiteServer::headSendsNoBody()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QByteArray css = readSourceFile(u"tests/data/sites/static/html/app.css"_s);
    RawClient client(server.port());
    const RawResponse head
        = client.exchange(request("/app.css", server.host(), { server.bearer() }, "HEAD"), true);
    QCOMPARE(head.status, 200);
    QCOMPARE(head.value("Content-Length"), QByteArray::number(css.size()));
    QCOMPARE(head.value("Content-Type"), QByteArray("text/css; charset=utf-8"));
    // Same connection: had HEAD sent a body, this response would start inside it.
    const RawResponse get
        = client.exchange(request("/data.json", server.host(), { server.bearer() }));
    QCOMPARE(get.status, 200);
    QCOMPARE(get.body, readSourceFile(u"tests/data/sites/static/html/data.json"_s));
}

// --- static files -----------------------------------------------------------------------------

void TestSiteServer::staticFilesWithMimeTypes_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("type");
    QTest::newRow("css") << u"/app.css"_s << u"app.css"_s << QByteArray("text/css; charset=utf-8");
    QTest::newRow("js") << u"/app.js"_s << u"app.js"_s
                        << QByteArray("text/javascript; charset=utf-8");
    QTest::newRow("json") << u"/data.json"_s << u"data.json"_s << QByteArray("application/json");
    QTest::newRow("svg") << u"/icon.svg"_s << u"icon.svg"_s << QByteArray("image/svg+xml");
    QTest::newRow("space") << u"/a%20b.txt"_s << u"a b.txt"_s
                           << QByteArray("text/plain; charset=utf-8");
    QTest::newRow("dir index") << u"/sub/"_s << u"sub/index.html"_s
                               << QByteArray("text/html; charset=utf-8");
    QTest::newRow("index") << u"/index.html"_s << u"index.html"_s
                           << QByteArray("text/html; charset=utf-8");
}

void TestSiteServer::staticFilesWithMimeTypes()
{
    QFETCH(QString, path);
    QFETCH(QString, file);
    QFETCH(QByteArray, type);
    LocalServer server;
    QVERIFY(server.ok());
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest request(server.httpUrl(path));
    request.setRawHeader("Authorization", "Bearer " + server.token());
    const Fetched reply = fetch(nam, request);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.header("Content-Type"), type);
    QCOMPARE(reply.header("X-Content-Type-Options"), QByteArray("nosniff"));
    QCOMPARE(reply.header("Cache-Control"), QByteArray("no-cache"));
    QCOMPARE(reply.body, readSourceFile(u"tests/data/sites/static/html/"_s + file));
    QVERIFY(!reply.body.isEmpty());
}

void TestSiteServer::pathEscapesAreRefused_data()
{
    QTest::addColumn<QByteArray>("target");
    for (const char* target : { "/../lunette.json", "/%2e%2e/lunette.json", "/%2E%2E/lunette.json",
             "/.%2e/lunette.json", "/%2e./lunette.json", "/..%2flunette.json", "/..%2Flunette.json",
             "/sub/..%2f..%2flunette.json", "/sub/%2e%2e/%2e%2e/lunette.json",
             "/sub/../../lunette.json", "/..%5clunette.json", "/..\\lunette.json",
             "/%2e%2e%2f%2e%2e%2flua/main.lua", "/lunette.json", "/lua/main.lua", "/app.css%00.txt",
             "/lunette/..%2f..%2flunette.json", "/lunette/%2e%2e/lunette.json" })
        QTest::newRow(target) << QByteArray(target);
}

void TestSiteServer::pathEscapesAreRefused()
{
    QFETCH(QByteArray, target);
    LocalServer server;
    QVERIFY(server.ok());
    const RawResponse response = server.get(target);
    QVERIFY2(response.status == 403 || response.status == 404,
        qPrintable(QString::number(response.status)));
    QVERIFY(!response.body.contains("MANIFEST-MUST-NOT-BE-SERVED"));
    QVERIFY(!response.body.contains("createAppVariable"));
}

void TestSiteServer::symlinksOutOfTheSiteAreRefused()
{
    QTemporaryDir dir;
    const QString root = dir.path() + u"/site"_s;
    QVERIFY(writeFile(root + u"/lua/main.lua"_s, "-- entry\n"));
    QVERIFY(writeFile(root + u"/html/index.html"_s, "<p>index</p>"));
    QVERIFY(writeFile(root + u"/html/ok.txt"_s, "fine"));
    QVERIFY(writeFile(dir.path() + u"/outside/secret.txt"_s, "OUTSIDE-SECRET-CONTENT"));
    QVERIFY(writeFile(root + u"/private.txt"_s, "SITE-PRIVATE-CONTENT"));
    QVERIFY(QFile::link(dir.path() + u"/outside/secret.txt"_s, root + u"/html/leak.txt"_s));
    QVERIFY(QFile::link(dir.path() + u"/outside"_s, root + u"/html/outside"_s));
    QVERIFY(QFile::link(root + u"/private.txt"_s, root + u"/html/private.txt"_s));
    QVERIFY(QFile::link(root + u"/html/ok.txt"_s, root + u"/html/alias.txt"_s));

    LocalServer server(root);
    QVERIFY2(server.ok(), qPrintable(server.error()));
    for (const QByteArray target : { "/leak.txt", "/outside/secret.txt", "/private.txt" }) {
        const RawResponse response = server.get(target);
        QVERIFY2(response.status == 403 || response.status == 404, target.constData());
        QVERIFY(!response.body.contains("OUTSIDE-SECRET-CONTENT"));
        QVERIFY(!response.body.contains("SITE-PRIVATE-CONTENT"));
    }
    // A link that stays inside html/ is fine.
    const RawResponse alias = server.get("/alias.txt");
    QCOMPARE(alias.status, 200);
    QCOMPARE(alias.body, QByteArray("fine"));
}

// --- sessions and pages -----------------------------------------------------------------------

void TestSiteServer::rootCreatesASessionAndRedirects()
{
    LocalServer server;
    QVERIFY(server.ok());
    RawClient client(server.port());
    const RawResponse response
        = client.exchange(request("/?token=" + server.token(), server.host()));
    QCOMPARE(response.status, 307);
    const QByteArray location = response.value("Location");
    QVERIFY2(
        QRegularExpression(u"^/[0-9a-f]{32}$"_s).match(QString::fromLatin1(location)).hasMatch(),
        location.constData());
    const QString sessionId = QString::fromLatin1(location.mid(1));
    QVERIFY(server.service.sessions().contains(sessionId));
    QCOMPARE(server.service.createCalls(), 1);
    QByteArrayList cookies = response.values("Set-Cookie");
    std::sort(cookies.begin(), cookies.end());
    QCOMPARE(cookies,
        (QByteArrayList { "lunette-token=" + server.token() + "; Path=/; HttpOnly; SameSite=Strict",
            "ui-session=" + location.mid(1) + "; Path=/; SameSite=Lax" }));
}

void TestSiteServer::cookiesFromTheRedirectAuthorizeThePage()
{
    LocalServer server;
    QVERIFY(server.ok());
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    const Fetched redirect = fetch(nam, QNetworkRequest(server.server->url()));
    QCOMPARE(redirect.status, 307);
    QCOMPARE(redirect.cookies.size(), 2);
    for (const QNetworkCookie& cookie : redirect.cookies) {
        if (cookie.name() == "lunette-token") {
            QCOMPARE(cookie.value(), server.token());
            QVERIFY(cookie.isHttpOnly());
            QCOMPARE(cookie.sameSitePolicy(), QNetworkCookie::SameSite::Strict);
        } else {
            QCOMPARE(cookie.name(), QByteArray("ui-session"));
            QVERIFY(!cookie.isHttpOnly()); // the page's script reads it
            QCOMPARE(cookie.sameSitePolicy(), QNetworkCookie::SameSite::Lax);
        }
        QCOMPARE(cookie.path(), u"/"_s);
    }
    // The page itself, with nothing but the cookie jar: no token in the URL or headers.
    const QString location = QString::fromLatin1(redirect.header("Location"));
    const Fetched page = fetch(nam, QNetworkRequest(server.httpUrl(location)));
    QCOMPARE(page.status, 200);
    QCOMPARE(page.body, readSourceFile(u"tests/data/sites/static/html/index.html"_s));

    // A fresh client without the cookies is refused.
    QNetworkAccessManager stranger;
    stranger.setProxy(QNetworkProxy::NoProxy);
    QCOMPARE(fetch(stranger, QNetworkRequest(server.httpUrl(location))).status, 403);
}

void TestSiteServer::createFailureShowsTheLuaError()
{
    LocalServer server;
    QVERIFY(server.ok());
    server.service.failCreation(u"lua/main.lua:3: attempt to call a nil value (global 'boom') <img "
                                u"src=x onerror=alert(1)>\n"
                                "stack traceback:\n\t[C]: in ?"_s,
        u"lua/main.lua:3"_s);
    const RawResponse response = server.get("/");
    QCOMPARE(response.status, 500);
    QCOMPARE(response.value("Content-Type"), QByteArray("text/html; charset=utf-8"));
    const QByteArray body = response.body;
    QVERIFY(body.contains("attempt to call a nil value (global &#39;boom&#39;)")
        || body.contains("attempt to call a nil value (global 'boom')"));
    QVERIFY(body.contains("&lt;img src=x onerror=alert(1)&gt;"));
    QVERIFY(!body.contains("<img"));
    QVERIFY(body.contains("stack traceback:"));
    QVERIFY(body.contains("<code>lua/main.lua:3</code>"));
    QVERIFY(body.contains("<a href=\"/\">Retry</a>"));
    QVERIFY(server.service.sessions().empty());
}

void TestSiteServer::sessionPageIsTheSiteIndex()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    const QByteArray index = readSourceFile(u"tests/data/sites/static/html/index.html"_s);
    for (const QString& path :
        QStringList { u"/"_s + sid, u"/"_s + sid + u"/"_s, u"/"_s + sid + u"/deep/link"_s }) {
        const RawResponse response = server.get(path.toLatin1());
        QCOMPARE(response.status, 200);
        QCOMPARE(response.body, index);
        QCOMPARE(response.value("Content-Type"), QByteArray("text/html; charset=utf-8"));
        QCOMPARE(response.value("Cache-Control"), QByteArray("no-cache"));
        QCOMPARE(response.values("Set-Cookie"),
            QByteArrayList { "ui-session=" + sid.toLatin1() + "; Path=/; SameSite=Lax" });
    }
}

void TestSiteServer::defaultPageWithoutHtml()
{
    QTemporaryDir dir;
    QVERIFY(writeFile(dir.path() + u"/lua/main.lua"_s, "-- entry\n"));
    LocalServer server(dir.path());
    QVERIFY2(server.ok(), qPrintable(server.error()));
    const QString sid = server.service.addSession();
    const RawResponse response = server.get("/" + sid.toLatin1());
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, readSourceFile(u"resources/web/default-index.html"_s));
    QVERIFY(
        response.body.contains("<script type=\"module\" src=\"/lunette/lunette.js\"></script>"));
    QVERIFY(response.body.contains("ui-app"));
    QCOMPARE(response.value("Content-Type"), QByteArray("text/html; charset=utf-8"));
}

void TestSiteServer::engineResources()
{
    LocalServer server;
    QVERIFY(server.ok());
    const RawResponse page = server.get("/lunette/variables.html");
    QCOMPARE(page.status, 200);
    QCOMPARE(page.body, readSourceFile(u"resources/web/variables.html"_s));
    QCOMPARE(page.value("Content-Type"), QByteArray("text/html; charset=utf-8"));
    QCOMPARE(page.value("X-Content-Type-Options"), QByteArray("nosniff"));
    QCOMPARE(server.get("/lunette/no-such-file.js").status, 404);
    QCOMPARE(server.get("/lunette/").status, 404);

    RawClient client(server.port());
    QCOMPARE(client.exchange(request("/lunette/variables.html", server.host())).status, 403);
}

// /lunette/shoelace/ serves the configured folder, nothing outside it; pages that load Shoelace
// 2.x from jsDelivr get the local URLs.
void TestSiteServer::shoelaceIsServedLocally()
{
    QTemporaryDir dir;
    const QString root = dir.path() + u"/site"_s;
    const QString shoelace = dir.path() + u"/shoelace"_s;
    QVERIFY(writeFile(root + u"/lua/main.lua"_s, "-- entry\n"));
    const QByteArray page
        = "<link rel=\"stylesheet\" "
          "href=\"https://cdn.jsdelivr.net/npm/@shoelace-style/shoelace@2.15.0/cdn/themes/"
          "light.css\">\n"
          "<script type=\"module\" "
          "src=\"https://cdn.jsdelivr.net/npm/@shoelace-style/shoelace@2/cdn/"
          "shoelace-autoloader.js\"></script>\n"
          "<script src=\"https://cdn.jsdelivr.net/npm/other@2.0.0/cdn/x.js\"></script>\n";
    QVERIFY(writeFile(root + u"/html/index.html"_s, page));
    QVERIFY(writeFile(root + u"/html/other.html"_s, page));
    QVERIFY(writeFile(root + u"/html/data.txt"_s, page));
    QVERIFY(writeFile(shoelace + u"/shoelace-autoloader.js"_s, "export const autoload = 1;\n"));
    QVERIFY(writeFile(shoelace + u"/themes/light.css"_s, ":root { --sl-x: 1; }\n"));
    QVERIFY(writeFile(dir.path() + u"/secret.txt"_s, "OUTSIDE-SECRET"));
    QVERIFY(QFile::link(dir.path() + u"/secret.txt"_s, shoelace + u"/leak.txt"_s));

    const QByteArray localized
        = "<link rel=\"stylesheet\" href=\"/lunette/shoelace/themes/light.css\">\n"
          "<script type=\"module\" src=\"/lunette/shoelace/shoelace-autoloader.js\"></script>\n"
          "<script src=\"https://cdn.jsdelivr.net/npm/other@2.0.0/cdn/x.js\"></script>\n";
    {
        SiteServer::Options options;
        options.shoelaceDir = shoelace;
        LocalServer server(root, options);
        QVERIFY2(server.ok(), qPrintable(server.error()));
        const RawResponse script = server.get("/lunette/shoelace/shoelace-autoloader.js");
        QCOMPARE(script.status, 200);
        QCOMPARE(script.body, QByteArray("export const autoload = 1;\n"));
        QVERIFY(script.value("Content-Type").contains("javascript"));
        QCOMPARE(server.get("/lunette/shoelace/themes/light.css").value("Content-Type"),
            QByteArray("text/css; charset=utf-8"));
        for (const QByteArray target : { "/lunette/shoelace/leak.txt",
                 "/lunette/shoelace/../secret.txt", "/lunette/shoelace/%2e%2e/secret.txt",
                 "/lunette/shoelace/", "/lunette/shoelace/none.js" }) {
            const RawResponse refused = server.get(target);
            QVERIFY2(refused.status == 403 || refused.status == 404, target.constData());
            QVERIFY(!refused.body.contains("OUTSIDE-SECRET"));
        }
        const QString sid = server.service.addSession();
        QCOMPARE(server.get("/" + sid.toLatin1()).body, localized);
        QCOMPARE(server.get("/other.html").body, localized);
        QCOMPARE(server.get("/data.txt").body, page); // only HTML is rewritten
    }
    {
        LocalServer server(root); // no Shoelace folder: 404, pages untouched
        QVERIFY(server.ok());
        QCOMPARE(server.get("/lunette/shoelace/shoelace-autoloader.js").status, 404);
        QCOMPARE(server.get("/other.html").body, page);
    }
}

void TestSiteServer::variablesJsonIsPassedThrough()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    const QByteArray json
        = R"([{"id":1,"type":"App","value":{"obj":1},"changeCount":2,"computeTime":"1.2us"}])";
    server.service.setVariables(json, 7);
    const RawResponse response = server.get("/" + sid.toLatin1() + "/variables.json");
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, json);
    QCOMPARE(response.value("Content-Type"), QByteArray("application/json"));
    QCOMPARE(response.value("X-Change-Count"), QByteArray("7"));

    // HEAD waits for the same asynchronous answer, without a body.
    RawClient client(server.port());
    const RawResponse head = client.exchange(request("/" + sid.toLatin1() + "/variables.json",
                                                 server.host(), { server.bearer() }, "HEAD"),
        true);
    QCOMPARE(head.status, 200);
    QCOMPARE(head.value("Content-Length"), QByteArray::number(json.size()));
    QCOMPARE(client.exchange(request("/app.css", server.host(), { server.bearer() })).status, 200);
}

void TestSiteServer::variablesPage()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    const RawResponse response = server.get("/" + sid.toLatin1() + "/variables");
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, readSourceFile(u"resources/web/variables.html"_s));
    QVERIFY(response.body.contains("fetch(\"variables.json\""));
    for (const char* column : { "\"Diags\"", "\"ID\"", "\"Path\"", "\"Type\"", "\"GoType\"",
             "\"Value\"", "\"Changes\"", "\"Time\"", "\"Avg Time\"", "\"Max Time\"", "\"Error\"",
             "\"Access\"", "\"Active\"", "\"Props\"" })
        QVERIFY2(response.body.contains(column), column);
    QCOMPARE(response.values("Set-Cookie"),
        QByteArrayList { "ui-session=" + sid.toLatin1() + "; Path=/; SameSite=Lax" });
}

void TestSiteServer::unknownSessionIs404()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QByteArray unknown = RecordingSessionService::randomSessionId().toLatin1();
    const RawResponse page = server.get("/" + unknown);
    QCOMPARE(page.status, 404);
    QCOMPARE(page.value("Content-Type"), QByteArray("text/html; charset=utf-8"));
    QVERIFY(page.body.contains("<a href=\"/\">This session has ended — start a new one</a>"));
    QCOMPARE(server.get("/" + unknown + "/variables.json").status, 404);
    QCOMPARE(server.get("/" + unknown + "/variables").status, 404);
    QCOMPARE(server.service.createCalls(), 0);
}

void TestSiteServer::wsPathWithoutUpgrade()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    QCOMPARE(server.get("/ws/" + sid.toLatin1()).status, 400);
    QVERIFY(server.service.opened().empty());
}

// --- WebSocket --------------------------------------------------------------------------------

void TestSiteServer::webSocketRoundTrip()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    WsClient client(server.server->origin());
    client.open(server.wsUrl(sid));
    QVERIFY(client.isConnected());
    client.socket().sendTextMessage(u"hello"_s);
    QCOMPARE(client.next(), u"echo:hello"_s);
    client.socket().sendTextMessage(u"héllo ✓"_s);
    QCOMPARE(client.next(), u"echo:héllo ✓"_s);

    const auto opened = server.service.opened();
    QCOMPARE(opened.size(), std::size_t(1));
    QCOMPARE(opened.front().first, sid);
    const ConnectionId id = opened.front().second;
    QVERIFY(id >= 1);
    const auto frames = server.service.frames();
    QCOMPARE(frames.size(), std::size_t(2));
    QCOMPARE(frames[0].id, id);
    QCOMPARE(frames[0].bytes, QByteArray("hello"));
    QCOMPARE(frames[1].bytes, u"héllo ✓"_s.toUtf8()); // UTF-8 bytes, not Latin-1

    client.socket().close();
    QVERIFY(client.waitClosed());
    QTRY_COMPARE_WITH_TIMEOUT(server.service.closed(), std::vector<ConnectionId> { id }, kWaitMs);

    // A second connection gets a new id.
    WsClient again(server.server->origin());
    again.open(server.wsUrl(sid));
    QVERIFY(again.isConnected());
    QTRY_COMPARE_WITH_TIMEOUT(server.service.opened().size(), std::size_t(2), kWaitMs);
    QVERIFY(server.service.opened().back().second > id);
}

void TestSiteServer::webSocketTokenVariants_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("query") << u"query"_s;
    QTest::newRow("cookie") << u"cookie"_s;
    QTest::newRow("bearer") << u"bearer"_s;
}

void TestSiteServer::webSocketTokenVariants()
{
    QFETCH(QString, how);
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    QNetworkRequest request(server.wsUrl(sid, how == u"query"_s));
    if (how == u"cookie"_s)
        request.setRawHeader(
            "Cookie", "ui-session=" + sid.toLatin1() + "; lunette-token=" + server.token());
    else if (how == u"bearer"_s)
        request.setRawHeader("Authorization", "Bearer " + server.token());
    WsClient client(server.server->origin());
    client.open(request);
    QVERIFY(client.isConnected());
    client.socket().sendTextMessage(u"ping"_s);
    QCOMPARE(client.next(), u"echo:ping"_s);
}

void TestSiteServer::webSocketRefusals_data()
{
    QTest::addColumn<QString>("origin"); // %ORIGIN% = the server's own
    QTest::addColumn<QString>("path"); // %SID% = an existing session, %TOKEN% = the token
    QTest::addColumn<QString>("reason");
    const QString good = u"/ws/%SID%?token=%TOKEN%"_s;
    QTest::newRow("no token") << u"%ORIGIN%"_s << u"/ws/%SID%"_s
                              << u"forbidden: missing or wrong token"_s;
    QTest::newRow("wrong token") << u"%ORIGIN%"_s << u"/ws/%SID%?token=0123"_s
                                 << u"forbidden: missing or wrong token"_s;
    QTest::newRow("foreign origin")
        << u"http://evil.example"_s << good << u"forbidden: bad Origin header"_s;
    QTest::newRow("origin on another port")
        << u"http://127.0.0.1:1"_s << good << u"forbidden: bad Origin header"_s;
    QTest::newRow("https origin") << u"https://127.0.0.1:%PORT%"_s << good
                                  << u"forbidden: bad Origin header"_s;
    QTest::newRow("null origin") << u"null"_s << good << u"forbidden: bad Origin header"_s;
    QTest::newRow("missing origin") << QString() << good << u"forbidden: bad Origin header"_s;
    QTest::newRow("unknown session")
        << u"%ORIGIN%"_s << u"/ws/0123456789abcdef0123456789abcdef?token=%TOKEN%"_s
        << u"not found: this session has ended"_s;
    QTest::newRow("not a session id") << u"%ORIGIN%"_s << u"/ws/hello?token=%TOKEN%"_s
                                      << u"not found: no such WebSocket endpoint"_s;
    QTest::newRow("not under /ws")
        << u"%ORIGIN%"_s << u"/%SID%?token=%TOKEN%"_s << u"not found: no such WebSocket endpoint"_s;
}

void TestSiteServer::webSocketRefusals()
{
    QFETCH(QString, origin);
    QFETCH(QString, path);
    QFETCH(QString, reason);
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    const QString port = QString::number(server.port());
    origin.replace(u"%ORIGIN%"_s, server.server->origin()).replace(u"%PORT%"_s, port);
    path.replace(u"%SID%"_s, sid).replace(u"%TOKEN%"_s, server.server->token());

    WsClient client(origin);
    client.sendOnConnect(u"must never reach the session"_s);
    client.open(QUrl(u"ws://127.0.0.1:"_s + port + path));
    QVERIFY(client.waitClosed());
    QCOMPARE(client.socket().closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);
    QCOMPARE(client.socket().closeReason(), reason);
    QVERIFY(client.messages().isEmpty()); // nothing but the close frame

    // Anything the refused client sent would have reached the service before this frame does.
    WsClient good(server.server->origin());
    good.open(server.wsUrl(sid));
    QVERIFY(good.isConnected());
    good.socket().sendTextMessage(u"sync"_s);
    QCOMPARE(good.next(), u"echo:sync"_s);
    const auto frames = server.service.frames();
    QCOMPARE(frames.size(), std::size_t(1));
    QCOMPARE(frames.front().bytes, QByteArray("sync"));
    QCOMPARE(server.service.opened().size(), std::size_t(1));
}

void TestSiteServer::webSocketWithForgedHostIsRefused()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    RawClient client(server.port());
    QVERIFY(client.isConnected());
    client.socket().write(
        request("/ws/" + sid.toLatin1() + "?token=" + server.token(), "evil.example",
            { "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
                "Origin: http://evil.example" }));
    client.socket().flush();
    const QByteArray received = client.readUntilClosed();
    const qsizetype end = received.indexOf("\r\n\r\n");
    QVERIFY2(end > 0, received.constData());
    const QByteArray frames = received.mid(end + 4);
    // Exactly one frame: a close frame (0x88) whose status code is 1008.
    QVERIFY2(frames.size() >= 4, frames.toHex().constData());
    QCOMPARE(static_cast<quint8>(frames.at(0)), quint8(0x88));
    const int length = static_cast<quint8>(frames.at(1)) & 0x7f;
    QCOMPARE(frames.size(), qsizetype(2 + length));
    const int code = (static_cast<quint8>(frames.at(2)) << 8) | static_cast<quint8>(frames.at(3));
    QCOMPARE(code, 1008);
    QCOMPARE(frames.mid(4), QByteArray("forbidden: bad Host header"));
    QVERIFY(server.service.opened().empty());
}

void TestSiteServer::oversizedFrameGetsBadMessage()
{
    SiteServer::Options options;
    options.maxFrameBytes = 1000;
    LocalServer server(fixtureSite(), options);
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    WsClient client(server.server->origin());
    client.open(server.wsUrl(sid));
    QVERIFY(client.isConnected());

    client.socket().sendTextMessage(QString(1500, u'x'));
    const QJsonObject error = QJsonDocument::fromJson(client.next().toUtf8()).object();
    QCOMPARE(error.value(u"type"_s).toString(), u"error"_s);
    const QJsonObject data = error.value(u"data"_s).toObject();
    QCOMPARE(data.value(u"code"_s).toString(), u"bad-message"_s);
    QCOMPARE(
        data.value(u"description"_s).toString(), u"frame too large (1500 bytes, limit 1000)"_s);

    // Bytes, not characters: 400 three-byte characters are 1200 bytes.
    client.socket().sendTextMessage(QString(400, QChar(0x2713)));
    QVERIFY(client.next().contains(u"frame too large (1200 bytes, limit 1000)"_s));
    // Binary messages obey the same limit.
    client.socket().sendBinaryMessage(QByteArray(1001, 'b'));
    QVERIFY(client.next().contains(u"frame too large (1001 bytes, limit 1000)"_s));

    // The connection stays up, and a frame exactly at the limit goes through.
    QVERIFY(client.isConnected());
    const QString atLimit(1000, u'y');
    client.socket().sendTextMessage(atLimit);
    QCOMPARE(client.next(), u"echo:"_s + atLimit);
    const auto frames = server.service.frames();
    QCOMPARE(frames.size(), std::size_t(1));
    QCOMPARE(frames.front().bytes.size(), qsizetype(1000));
}

void TestSiteServer::framesArriveInOrderOnePerMessage()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    WsClient client(server.server->origin());
    client.open(server.wsUrl(sid));
    QVERIFY(client.isConnected());
    QTRY_COMPARE_WITH_TIMEOUT(server.service.opened().size(), std::size_t(1), kWaitMs);
    server.service.burst(server.service.opened().front().second, 200);
    QTRY_COMPARE_WITH_TIMEOUT(client.messages().size(), qsizetype(200), kWaitMs);
    for (int i = 0; i < 200; ++i)
        QCOMPARE(client.messages().at(i), u"burst %1"_s.arg(i));
}

void TestSiteServer::sessionLayerCanCloseAConnection()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    WsClient client(server.server->origin());
    client.open(server.wsUrl(sid));
    QVERIFY(client.isConnected());
    QTRY_COMPARE_WITH_TIMEOUT(server.service.opened().size(), std::size_t(1), kWaitMs);
    const ConnectionId id = server.service.opened().front().second;
    server.service.closeFromExecutor(id, 4001, u"session ended"_s);
    QVERIFY(client.waitClosed());
    QCOMPARE(int(client.socket().closeCode()), 4001);
    QCOMPARE(client.socket().closeReason(), u"session ended"_s);
    QTRY_COMPARE_WITH_TIMEOUT(server.service.closed(), std::vector<ConnectionId> { id }, kWaitMs);
}

// --- transport --------------------------------------------------------------------------------

void TestSiteServer::everyAcceptedSocketHasLowDelay()
{
    struct Seen
    {
        int noDelay;
        bool onTestThread;
    };
    std::mutex mutex;
    std::vector<Seen> seen;
    QThread* const testThread = QThread::currentThread();
    SiteServer::Options options;
    options.acceptedSocketHook = [&](const QTcpSocket& socket) {
        // Read back from the kernel, not from Qt's idea of the option.
        const Seen entry { tcpNoDelay(socket.socketDescriptor()),
            QThread::currentThread() == testThread };
        std::lock_guard lock(mutex);
        seen.push_back(entry);
    };
    LocalServer server(fixtureSite(), options);
    QVERIFY(server.ok());

    // The probe itself: a fresh client socket has Nagle on, so the check can tell.
    RawClient probe(server.port());
    QCOMPARE(tcpNoDelay(probe.socket().socketDescriptor()), 0);
    QCOMPARE(probe.exchange(request("/app.css", server.host(), { server.bearer() })).status, 200);

    const QString sid = server.service.addSession();
    WsClient client(server.server->origin());
    client.open(server.wsUrl(sid));
    QVERIFY(client.isConnected());

    std::lock_guard lock(mutex);
    QCOMPARE(seen.size(), std::size_t(2));
    for (const Seen& entry : seen) {
        QCOMPARE(entry.noDelay, 1);
        QVERIFY(!entry.onTestThread); // network I/O happens on the server's own thread
    }
}

void TestSiteServer::stopClosesClients()
{
    LocalServer server;
    QVERIFY(server.ok());
    const QString sid = server.service.addSession();
    WsClient first(server.server->origin());
    first.open(server.wsUrl(sid));
    WsClient second(server.server->origin());
    second.open(server.wsUrl(sid));
    QVERIFY(first.isConnected() && second.isConnected());
    QTRY_COMPARE_WITH_TIMEOUT(server.service.opened().size(), std::size_t(2), kWaitMs);
    RawClient http(server.port());
    QCOMPARE(http.exchange(request("/app.css", server.host(), { server.bearer() })).status, 200);
    const quint16 port = server.port();

    server.server->stop();
    QVERIFY(first.waitClosed());
    QVERIFY(second.waitClosed());
    QCOMPARE(first.socket().closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
    QCOMPARE(second.socket().closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
    QTRY_COMPARE_WITH_TIMEOUT(server.service.closed().size(), std::size_t(2), kWaitMs);
    // The kept-alive HTTP connection is closed too, and nothing listens any more.
    QTRY_COMPARE_WITH_TIMEOUT(http.socket().state(), QAbstractSocket::UnconnectedState, kWaitMs);
    QTcpSocket late;
    late.setProxy(QNetworkProxy::NoProxy);
    late.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(!late.waitForConnected(kWaitMs));
}

QTEST_GUILESS_MAIN(TestSiteServer)
#include "test_siteserver.moc"

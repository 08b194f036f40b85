// The http module (runtime/modules/lua_http.cpp) against a real HTTP/1.1 server on 127.0.0.1
// that this test runs (a QTcpServer answering by hand): waiting and callback forms, JSON bodies,
// method/header/body round trips, redirects, error statuses as responses, timeouts, refused
// connections, invalid arguments, the body size limit, the loading state a page sees while a
// request waits, and a session that ends while requests wait. No sleeps: QTRY and condition
// waits only.

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include "support/SiteSession.h"

using namespace Qt::StringLiterals;
using lunette::test::ProtocolClient;
using lunette::test::SiteSession;

namespace {

// Minimal HTTP/1.1: one request per connection, "Connection: close". Routes:
//   /json      200 application/json {"name":"lunette","items":[1,2,3]}
//   /echo      200 application/json {"method","path","headers" (lower-case),"body"} + X-Echo
//   /redirect  302 to /json;  /loop 302 to /loop
//   /missing   404 "not found"
//   /big       200, 4096 bytes
//   /slow      held until release() (or forever)
class TinyHttpServer
{
public:
    TinyHttpServer()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection()) {
                QObject::connect(
                    socket, &QTcpSocket::readyRead, socket, [this, socket] { onData(socket); });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QString base() const { return u"http://127.0.0.1:%1"_s.arg(m_server.serverPort()); }
    // Paths requested so far, in order.
    QStringList seen() const { return m_seen; }
    // Requests held by /slow whose connection is still open.
    int heldOpen() const
    {
        int n = 0;
        for (const auto& socket : m_held)
            n += socket && socket->state() == QAbstractSocket::ConnectedState;
        return n;
    }
    // Answer every held /slow request with `body`.
    void release(const QByteArray& body)
    {
        for (const auto& socket : std::exchange(m_held, {})) {
            if (socket)
                respond(socket, 200, "text/plain", body);
        }
    }

private:
    void onData(QTcpSocket* socket)
    {
        QByteArray& buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        QJsonObject headers;
        qsizetype length = 0;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon < 0)
                continue;
            const QByteArray name = lines[i].left(colon).trimmed().toLower();
            const QByteArray value = lines[i].mid(colon + 1).trimmed();
            headers.insert(QString::fromLatin1(name), QString::fromUtf8(value));
            if (name == "content-length")
                length = value.toLongLong();
        }
        if (buffer.size() < end + 4 + length)
            return; // the body is still coming
        const QByteArray body = buffer.mid(end + 4, length);
        m_buffers.remove(socket);
        const QByteArray method = requestLine.value(0);
        const QByteArray path = requestLine.value(1);
        m_seen << QString::fromLatin1(path);

        if (path == "/json") {
            respond(socket, 200, "application/json", R"({"name":"lunette","items":[1,2,3]})");
        } else if (path == "/echo") {
            const QJsonObject echo { { u"method"_s, QString::fromLatin1(method) },
                { u"path"_s, QString::fromLatin1(path) }, { u"headers"_s, headers },
                { u"body"_s, QString::fromUtf8(body) } };
            respond(socket, 200, "application/json", QJsonDocument(echo).toJson(),
                "X-Echo: " + method + "\r\nX-Multi: a\r\nX-Multi: b\r\n");
        } else if (path == "/redirect") {
            respond(socket, 302, "text/plain", "moved", "Location: /json\r\n");
        } else if (path == "/loop") {
            respond(socket, 302, "text/plain", "again", "Location: /loop\r\n");
        } else if (path == "/big") {
            respond(socket, 200, "application/octet-stream", QByteArray(4096, 'x'));
        } else if (path == "/slow") {
            m_held << socket;
        } else {
            respond(socket, 404, "text/plain", "not found");
        }
    }

    static void respond(QTcpSocket* socket, int status, const QByteArray& type,
        const QByteArray& body, const QByteArray& extraHeaders = {})
    {
        const QByteArray reason = status == 200 ? "OK" : status == 302 ? "Found" : "Not Found";
        socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n"
            + "Content-Type: " + type + "\r\nContent-Length: " + QByteArray::number(body.size())
            + "\r\nConnection: close\r\n" + extraHeaders + "\r\n" + body);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
    QHash<QTcpSocket*, QByteArray> m_buffers;
    QList<QPointer<QTcpSocket>> m_held;
    QStringList m_seen;
};

// A port on 127.0.0.1 where nothing listens.
quint16 closedPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

} // namespace

class TestHttp final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TinyHttpServer> m_http;
    std::unique_ptr<SiteSession> m_net;

    QString eval(const QString& code) { return m_net->eval(code); }
    QString trace() { return m_net->trace(); }

private slots:
    void init()
    {
        m_http = std::make_unique<TinyHttpServer>();
        QVERIFY(m_http->listen());
        m_net = std::make_unique<SiteSession>(u"/tests/data/sites/net"_s);
        QVERIFY2(m_net->start(), qPrintable(m_net->error()));
        QCOMPARE(eval(u"http = require('http'); json = require('json'); base = '%1'"_s.arg(
                     m_http->base())),
            QString());
    }

    void cleanup()
    {
        m_net.reset();
        m_http.reset();
    }

    // Without "network" in lunette.json, require fails with the documented message.
    void needsThePermission()
    {
        SiteSession plain(u"/tests/data/sites/async"_s);
        QVERIFY2(plain.start(), qPrintable(plain.error()));
        const QString out = plain.eval(u"require('http')"_s);
        QVERIFY2(out.contains(u"module 'http' needs the 'network' permission: add \"network\" to "
                              "permissions in lunette.json"_s),
            qPrintable(out));
    }

    void getJson()
    {
        eval(u"spawn(function() local r, err = http.get(base .. '/json'); "
             "local v = json.decode(r.body); "
             "record(err, r.status, r.headers['content-type'], v.name, #v.items, r.url) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(
            trace(), u"nil 200 application/json lunette 3 %1/json"_s.arg(m_http->base()), 5000);
    }

    // While a request waits, other turns of the session run; the task continues afterwards.
    void otherTurnsRunWhileWaiting()
    {
        eval(u"spawn(function() record('start'); local r = http.get(base .. '/slow'); "
             "record('done', r.body) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_http->seen(), QStringList { u"/slow"_s }, 5000);
        QCOMPARE(m_net->waiting(), std::size_t(1));
        QCOMPARE(eval(u"record('meanwhile'); return 1 + 1"_s), u"2"_s);
        m_http->release("slow body");
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"start|meanwhile|done slow body"_s, 5000);
    }

    // Method, headers and body reach the server; status, headers (lower-case) and body come back.
    void requestRoundTrip()
    {
        eval(u"spawn(function() local r = http.request{method = 'put', url = base .. '/echo', "
             "headers = {['X-Test'] = 'abc', Accept = 'application/json'}, body = 'payload'}; "
             "local v = json.decode(r.body); "
             "record(r.status, v.method, v.headers['x-test'], v.headers.accept, v.body, "
             "r.headers['x-echo'], r.headers['x-multi']) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(
            trace(), u"200 PUT abc application/json payload PUT a, b"_s, 5000);
        // A request given as a URL only.
        m_net->clearTrace();
        eval(u"spawn(function() local r = http.request(base .. '/echo'); "
             "record(json.decode(r.body).method) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"GET"_s, 5000);
    }

    void redirects()
    {
        eval(u"spawn(function() local r = http.get(base .. '/redirect'); "
             "record(r.status, r.url == base .. '/json', json.decode(r.body).name) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"200 true lunette"_s, 5000);
        m_net->clearTrace();
        eval(u"spawn(function() local r = http.get(base .. '/redirect', {redirects = false}); "
             "record(r.status, r.headers.location, r.body) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"302 /json moved"_s, 5000);
        m_net->clearTrace();
        eval(u"spawn(function() local r, err = http.get(base .. '/loop'); "
             "record(r, err.kind, err.message) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"nil network more than 10 redirects"_s, 5000);
    }

    // An HTTP error status is a response, not an error.
    void errorStatusIsAResponse()
    {
        eval(u"spawn(function() local r, err = http.get(base .. '/missing'); "
             "record(r.status, r.body, err) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"404 not found nil"_s, 5000);
    }

    void timeout()
    {
        eval(u"spawn(function() local r, err = http.get(base .. '/slow', {timeout = 100}); "
             "record(r, err.kind, err.retryable, tostring(err)) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(
            trace(), u"nil timeout true timeout: request timed out after 100 ms"_s, 5000);
    }

    void connectionRefused()
    {
        eval(u"spawn(function() local r, err = http.get('http://127.0.0.1:%1/'); "
             "record(r, err.kind, err.retryable) end)"_s.arg(closedPort()));
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"nil network true"_s, 5000);
    }

    // Unusable values give `nil, err` kind invalid at once; wrong types raise.
    void invalidArguments()
    {
        QCOMPARE(eval(u"local r, err = http.get('ftp://example.org/x'); "
                      "return r, err.kind, err.retryable, err.message"_s),
            u"nil\tinvalid\tfalse\tonly http and https URLs are supported: "
            "'ftp://example.org/x'"_s);
        QCOMPARE(
            eval(u"local r, err = http.get('not a url'); return r, err.kind"_s), u"nil\tinvalid"_s);
        QCOMPARE(eval(u"local r, err = http.request{url = base, headers = {['X-A'] = 'a\\r\\nB: "
                      "c'}}; return r, err.kind"_s),
            u"nil\tinvalid"_s);
        QCOMPARE(eval(u"local r, err = http.request{url = base, method = 'GE T'}; return r, "
                      "err.kind"_s),
            u"nil\tinvalid"_s);
        QVERIFY(eval(u"http.get({})"_s).contains(u"bad argument #1 to 'get'"_s));
        QVERIFY(eval(u"http.get(base, 'x')"_s).contains(u"bad argument #2 to 'get'"_s));
        QVERIFY(eval(u"http.request{url = base, headers = 5}"_s)
                    .contains(u"'headers' must be a table"_s));
        QVERIFY(eval(u"http.request{url = base, timeout = -1}"_s)
                    .contains(u"'timeout' must be a positive number of milliseconds"_s));
        QVERIFY(
            eval(u"http.request{url = base, body = {}}"_s).contains(u"'body' must be a string"_s));
        QVERIFY(eval(u"http.request{}"_s).contains(u"'url' must be a string"_s));
        QVERIFY(eval(u"http.request({url = base}, {success = 1})"_s)
                    .contains(u"'success' must be a function"_s));
    }

    // Waiting is refused where Lua cannot yield; the console input itself may wait.
    void waitingOutsideATask()
    {
        const QString out = eval(u"return select(2, pcall(table.sort, {1, 2}, function() "
                                 "return http.get(base .. '/json') end))"_s);
        QVERIFY2(out.contains(u"http.get cannot wait here"_s), qPrintable(out));
        QCOMPARE(m_http->seen(), QStringList());
    }

    void bodyLimit()
    {
        eval(u"spawn(function() local r, err = http.get(base .. '/big', {max_body = 1000}); "
             "record(r, err.kind, err.message) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(
            trace(), u"nil io the response body is larger than 1000 bytes"_s, 5000);
        m_net->clearTrace();
        eval(u"spawn(function() record(#http.get(base .. '/big', {max_body = 4096}).body) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"4096"_s, 5000);
    }

    // plua-style: returns at once, success or error runs later as a new task.
    void callbackForm()
    {
        QCOMPARE(eval(u"http.request({url = base .. '/json'}, {"
                      "success = function(r) record('ok', r.status, json.decode(r.body).name) end,"
                      "error = function(e) record('error', e.kind) end}); record('returned')"_s),
            QString());
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"returned|ok 200 lunette"_s, 5000);
        m_net->clearTrace();
        eval(u"http.request({url = 'http://127.0.0.1:%1/'}, {"
             "success = function(r) record('ok') end, "
             "error = function(e) record('error', e.kind, e.retryable) end})"_s.arg(closedPort()));
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"error network true"_s, 5000);
        m_net->clearTrace();
        eval(u"http.request({url = 'gopher://x/'}, {error = function(e) record('error', e.kind) "
             "end}); record('returned')"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"returned|error invalid"_s, 5000);
        m_net->clearTrace();
        eval(u"http.request({url = base .. '/slow', timeout = 50}, {"
             "error = function(e) record('error', e.kind) end})"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"error timeout"_s, 5000);
        // A callback may wait itself.
        m_net->clearTrace();
        eval(u"http.request(base .. '/json', {success = function(r) "
             "record('first', r.status); record('second', http.get(base .. '/missing').status) "
             "end})"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"first 200|second 404"_s, 5000);
    }

    // The page sees loading = true while the request waits, then the result.
    void loadingStateReachesThePageFirst()
    {
        ProtocolClient client(m_net->server(), m_net->id());
        QVERIFY(client.open());
        client.sendMessages({ ProtocolClient::watch(1) });
        client.sendMessages(
            { ProtocolClient::create(2, 1, u"loading"_s), ProtocolClient::create(3, 1, u"result"_s),
                ProtocolClient::create(4, 1, u"load()"_s, { { u"access"_s, u"action"_s } }) });
        client.sendMessages({ ProtocolClient::update(4, QJsonValue()) }, true);
        const QJsonObject loading = client.waitForMessage([](const QJsonObject& m) {
            const QJsonObject d = m.value(u"data"_s).toObject();
            return m.value(u"type"_s) == u"update"_s && d.value(u"varId"_s).toInt() == 2
                && d.value(u"value"_s) == QJsonValue(true);
        });
        QVERIFY(!loading.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(m_http->seen(), QStringList { u"/slow"_s }, 5000);
        QCOMPARE(eval(u"return session:getApp().result"_s), QString()); // still waiting
        m_http->release("the result");
        const QJsonObject result = client.waitForMessage([](const QJsonObject& m) {
            const QJsonObject d = m.value(u"data"_s).toObject();
            return m.value(u"type"_s) == u"update"_s && d.value(u"varId"_s).toInt() == 3
                && d.value(u"value"_s) == QJsonValue(u"the result"_s);
        });
        QVERIFY(!result.isEmpty());
        QCOMPARE(eval(u"return session:getApp().loading"_s), u"false"_s);
    }

    // A session that ends while requests wait aborts them: no crash, nothing runs afterwards.
    void sessionEndAbortsRequests()
    {
        eval(u"spawn(function() http.get(base .. '/slow'); print('late wait') end); "
             "http.request(base .. '/slow', {success = function() print('late success') end, "
             "error = function() print('late error') end})"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_http->heldOpen(), 2, 5000);
        QCOMPARE(m_net->waiting(), std::size_t(1));
        QVERIFY(m_net->destroy());
        // Both connections are dropped by the client side...
        QTRY_COMPARE_WITH_TIMEOUT(m_http->heldOpen(), 0, 5000);
        // ...and answering now reaches nobody.
        m_http->release("too late");
        QCoreApplication::processEvents();
        m_net->barrier();
        QVERIFY2(!m_net->logLines().join(u'\n').contains(u"late"_s),
            qPrintable(m_net->logLines().join(u'\n')));
    }
};

QTEST_GUILESS_MAIN(TestHttp)
#include "test_http.moc"

// The websocket module (runtime/modules/lua_websocket.cpp) against a QWebSocketServer echo on
// 127.0.0.1 that this test runs: connect/send/receive in tasks, handshake headers, messages that
// queue while nobody receives, receive timeouts, on("message")/on("close") handlers as new
// tasks, a server that closes, refused and silent servers, invalid arguments, <close>, a session
// that ends while a receive waits, and the socket object after its session ended.

#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

#include "support/SiteSession.h"

using namespace Qt::StringLiterals;
using lunette::test::BareTasks;
using lunette::test::SiteSession;

namespace {

// Echoes text and binary messages. "close" closes with 4000 "bye"; "push3" answers m1, m2, m3;
// "header" answers the X-Test header of the handshake; "quiet" gets no answer.
class EchoServer
{
public:
    EchoServer() : m_server(u"test"_s, QWebSocketServer::NonSecureMode)
    {
        QObject::connect(&m_server, &QWebSocketServer::newConnection, &m_server, [this] {
            while (QWebSocket* socket = m_server.nextPendingConnection()) {
                m_clients << socket;
                QObject::connect(socket, &QWebSocket::textMessageReceived, socket,
                    [this, socket](const QString& text) { onText(socket, text); });
                QObject::connect(socket, &QWebSocket::binaryMessageReceived, socket,
                    [socket](const QByteArray& data) { socket->sendBinaryMessage(data); });
                QObject::connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QString url() const { return u"ws://127.0.0.1:%1/"_s.arg(m_server.serverPort()); }
    int open() const
    {
        int n = 0;
        for (const auto& socket : m_clients)
            n += socket && socket->state() == QAbstractSocket::ConnectedState;
        return n;
    }
    QStringList received() const { return m_received; }
    void broadcast(const QString& text)
    {
        for (const auto& socket : m_clients) {
            if (socket)
                socket->sendTextMessage(text);
        }
    }

private:
    void onText(QWebSocket* socket, const QString& text)
    {
        m_received << text;
        if (text == u"close"_s)
            socket->close(QWebSocketProtocol::CloseCode(4000), u"bye"_s);
        else if (text == u"push3"_s)
            for (const char* m : { "m1", "m2", "m3" })
                socket->sendTextMessage(QString::fromLatin1(m));
        else if (text == u"header"_s)
            socket->sendTextMessage(QString::fromUtf8(socket->request().rawHeader("X-Test")));
        else if (text != u"quiet"_s)
            socket->sendTextMessage(text);
    }

    QWebSocketServer m_server;
    QList<QPointer<QWebSocket>> m_clients;
    QStringList m_received;
};

quint16 closedPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

} // namespace

class TestWebsocket final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<EchoServer> m_echo;
    std::unique_ptr<SiteSession> m_net;

    QString eval(const QString& code) { return m_net->eval(code); }
    QString trace() { return m_net->trace(); }

    // Connect `ws` (a global) in a task and wait until it is connected.
    void connectGlobal()
    {
        eval(u"spawn(function() ws = assert(websocket.connect(url)); record('connected') end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"connected"_s, 5000);
        m_net->clearTrace();
    }

private slots:
    void init()
    {
        m_echo = std::make_unique<EchoServer>();
        QVERIFY(m_echo->listen());
        m_net = std::make_unique<SiteSession>(u"/tests/data/sites/net"_s);
        QVERIFY2(m_net->start(), qPrintable(m_net->error()));
        QCOMPARE(
            eval(u"websocket = require('websocket'); url = '%1'"_s.arg(m_echo->url())), QString());
    }

    void cleanup()
    {
        m_net.reset();
        m_echo.reset();
    }

    void needsThePermission()
    {
        SiteSession plain(u"/tests/data/sites/async"_s);
        QVERIFY2(plain.start(), qPrintable(plain.error()));
        QVERIFY(plain.eval(u"require('websocket')"_s)
                    .contains(u"module 'websocket' needs the 'network' permission: add \"network\" "
                              "to permissions in lunette.json"_s));
    }

    void sendAndReceive()
    {
        eval(u"spawn(function() local ws = assert(websocket.connect(url)); "
             "record(ws:is_open(), tostring(ws) == 'websocket: ' .. url .. ' (open)'); "
             "record(ws:send('hello')); record(ws:receive()); "
             "ws:send('bin\\0ary', true); local b = ws:receive(); record(#b, b:byte(4)); "
             "ws:send('héllo'); record(ws:receive()); ws:close(); record(ws:is_open()) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"true true|true|hello|7 0|héllo|false"_s, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->open(), 0, 5000);
    }

    void handshakeHeaders()
    {
        eval(u"spawn(function() local ws = assert(websocket.connect(url, {headers = {['X-Test'] "
             "= 'abc'}})); ws:send('header'); record(ws:receive()); ws:close() end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"abc"_s, 5000);
    }

    // While receive() waits, other turns run; the message then resumes the task.
    void otherTurnsRunWhileWaiting()
    {
        connectGlobal();
        eval(u"spawn(function() record('waiting'); record('got', ws:receive()) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_net->waiting(), std::size_t(1), 5000);
        QCOMPARE(eval(u"record('meanwhile')"_s), QString());
        m_echo->broadcast(u"pushed"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"waiting|meanwhile|got pushed"_s, 5000);
    }

    // Messages nobody waits for are kept, in order, and receive() returns them without waiting.
    void messagesQueueUp()
    {
        connectGlobal();
        eval(u"ws:send('push3')"_s);
        QTRY_COMPARE_WITH_TIMEOUT(eval(u"return tostring(ws)"_s),
            u"websocket: %1 (open, 3 queued)"_s.arg(m_echo->url()), 5000);
        QCOMPARE(eval(u"return ws:receive(), ws:receive(), ws:receive()"_s), u"m1\tm2\tm3"_s);
    }

    void receiveTimeout()
    {
        connectGlobal();
        eval(u"spawn(function() local m, err = ws:receive(100); "
             "record(m, err.kind, err.retryable, err.message) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(
            trace(), u"nil timeout true websocket receive timed out after 100 ms"_s, 5000);
        // The socket still works afterwards.
        m_net->clearTrace();
        eval(u"spawn(function() ws:send('again'); record(ws:receive(1000)) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"again"_s, 5000);
    }

    // plua-style handlers run as new tasks; the socket stays alive while they listen.
    void handlers()
    {
        eval(u"spawn(function() local ws = assert(websocket.connect(url)); "
             "ws:on('message', function(m) record('message', m) end)"
             ":on('close', function(code, reason) record('close', code, reason) end); "
             "ws:send('push3') end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"message m1|message m2|message m3"_s, 5000);
        eval(u"collectgarbage(); collectgarbage()"_s); // nothing refers to ws but its handlers
        m_echo->broadcast(u"after gc"_s);
        QTRY_COMPARE_WITH_TIMEOUT(
            trace(), u"message m1|message m2|message m3|message after gc"_s, 5000);
        m_net->clearTrace();
        m_echo->broadcast(u"x"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"message x"_s, 5000);
        m_net->clearTrace();
        eval(u"spawn(function() local ws = assert(websocket.connect(url)); "
             "ws:on('close', function(code, reason) record('close', code, reason) end); "
             "ws:send('close') end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"close 4000 bye"_s, 5000);
    }

    // Messages that came before the first handler go to it.
    void handlerGetsQueuedMessages()
    {
        connectGlobal();
        eval(u"ws:send('push3')"_s);
        QTRY_VERIFY_WITH_TIMEOUT(eval(u"return tostring(ws)"_s).endsWith(u"3 queued)"_s), 5000);
        eval(u"ws:on('message', function(m) record(m) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"m1|m2|m3"_s, 5000);
    }

    // The server closes while a task waits in receive(): nil, err; later calls fail the same way.
    void serverCloses()
    {
        connectGlobal();
        eval(u"spawn(function() local m, err = ws:receive(); record(m, err.kind, err.message); "
             "local ok, err2 = ws:send('x'); record(ok, err2.kind, ws:is_open()) end); "
             "ws:send('close')"_s);
        QTRY_COMPARE_WITH_TIMEOUT(
            trace(), u"nil network the connection is closed (4000: bye)|nil network false"_s, 5000);
    }

    void connectFailures()
    {
        eval(u"spawn(function() local ws, err = websocket.connect('ws://127.0.0.1:%1/'); "
             "record(ws, err.kind, err.retryable) end)"_s.arg(closedPort()));
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"nil network true"_s, 5000);

        // A server that accepts the connection but never answers the handshake.
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        m_net->clearTrace();
        eval(u"spawn(function() local ws, err = websocket.connect('ws://127.0.0.1:%1/', "
             "{timeout = 100}); record(ws, err.kind, err.retryable, err.message) end)"_s.arg(
                 silent.serverPort()));
        QTRY_COMPARE_WITH_TIMEOUT(
            trace(), u"nil timeout true connecting timed out after 100 ms"_s, 5000);
    }

    void invalidArguments()
    {
        QCOMPARE(eval(u"local ws, err = websocket.connect('http://127.0.0.1/'); "
                      "return ws, err.kind, err.message"_s),
            u"nil\tinvalid\tonly ws and wss URLs are supported: 'http://127.0.0.1/'"_s);
        QCOMPARE(eval(u"local ws, err = websocket.connect(url, {headers = {['a b'] = 'c'}}); "
                      "return ws, err.kind"_s),
            u"nil\tinvalid"_s);
        QVERIFY(eval(u"websocket.connect({})"_s).contains(u"bad argument #1 to 'connect'"_s));
        QVERIFY(eval(u"websocket.connect(url, {timeout = 'soon'})"_s)
                    .contains(u"'timeout' must be a positive number"_s));
        connectGlobal();
        QVERIFY(eval(u"ws:on('nope', print)"_s).contains(u"invalid option 'nope'"_s));
        QVERIFY(eval(u"ws:on('message', 1)"_s).contains(u"function expected"_s));
        QVERIFY(eval(u"ws:send({})"_s).contains(u"bad argument #1 to 'send'"_s));
        QVERIFY(eval(u"ws:receive(-5)"_s).contains(u"timeout must be a positive number"_s));
        QVERIFY(eval(u"ws.send(1, 'x')"_s).contains(u"websocket expected"_s));
    }

    // A to-be-closed socket closes when its scope ends.
    void toBeClosed()
    {
        eval(u"spawn(function() do local ws <close> = assert(websocket.connect(url)); "
             "ws:send('quiet'); record('in scope') end; record('left') end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"in scope|left"_s, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->received(), QStringList { u"quiet"_s }, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->open(), 0, 5000);
    }

    // The session ends while a task waits in receive(), handlers listen and a connect waits for
    // a handshake: the connections close, and messages sent afterwards reach nobody.
    void sessionEndClosesSockets()
    {
        QTcpServer silent; // accepts, never answers the handshake
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        eval(u"spawn(function() local ws = assert(websocket.connect(url)); ws:receive(); "
             "print('late receive') end); "
             "spawn(function() local ws = assert(websocket.connect(url)); "
             "ws:on('message', function() print('late message') end) end); "
             "spawn(function() websocket.connect('ws://127.0.0.1:%1/'); print('late connect') "
             "end)"_s.arg(silent.serverPort()));
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->open(), 2, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(silent.hasPendingConnections(), 5000);
        QPointer<QTcpSocket> handshake = silent.nextPendingConnection();
        QTRY_COMPARE_WITH_TIMEOUT(m_net->waiting(), std::size_t(2), 5000);
        QVERIFY(m_net->destroy());
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->open(), 0, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(
            !handshake || handshake->state() == QAbstractSocket::UnconnectedState, 5000);
        m_echo->broadcast(u"too late"_s);
        QCoreApplication::processEvents();
        m_net->barrier();
        const QString log = m_net->logLines().join(u'\n');
        QVERIFY2(!log.contains(u"late "_s), qPrintable(log));
    }

    // A socket kept after its session ended answers every call with kind canceled.
    void socketAfterTheSessionEnded()
    {
        BareTasks tasks;
        tasks.expose("websocket");
        QVERIFY(tasks.spawn(u"ws = assert(websocket.connect('%1'))"_s.arg(m_echo->url())));
        QTRY_COMPARE_WITH_TIMEOUT(tasks.run(u"return type(ws)"_s), u"userdata"_s, 5000);
        QVERIFY(tasks.spawn(u"ws:receive()"_s)); // waits
        tasks.endSession();
        QCOMPARE(tasks.run(u"local ok, err = ws:send('x'); return ok, err.kind, err.message"_s),
            u"nil\tcanceled\twebsocket send: the session ended"_s);
        QCOMPARE(
            tasks.run(u"local m, err = ws:receive(); return m, err.kind"_s), u"nil\tcanceled"_s);
        QCOMPARE(tasks.run(u"return ws:is_open(), tostring(ws):match('%((.*)%)')"_s),
            u"false\tsession ended"_s);
        QCOMPARE(
            tasks.run(u"local ok, err = ws:close(); return ok, err.kind"_s), u"nil\tcanceled"_s);
    }
};

QTEST_GUILESS_MAIN(TestWebsocket)
#include "test_websocket.moc"

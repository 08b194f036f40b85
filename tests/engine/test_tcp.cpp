// The tcp module (runtime/modules/lua_tcp.cpp) against a QTcpServer echo on 127.0.0.1 that this
// test runs: connect, send and the receive patterns (available, n bytes, lines, all), other turns
// running while a receive waits, receive timeouts, a server that closes, refused connections,
// invalid arguments, <close>, a session that ends while a receive waits, and the connection
// object after its session ended.

#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include "support/SiteSession.h"

using namespace Qt::StringLiterals;
using lunette::test::BareTasks;
using lunette::test::SiteSession;

namespace {

// Echoes what it receives; a chunk containing "#close" is echoed and the connection closed.
class EchoServer
{
public:
    EchoServer()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection()) {
                m_clients << socket;
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                    const QByteArray data = socket->readAll();
                    m_received += data;
                    socket->write(data);
                    if (data.contains("#close"))
                        socket->disconnectFromHost();
                });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    int open() const
    {
        int n = 0;
        for (const auto& socket : m_clients)
            n += socket && socket->state() == QAbstractSocket::ConnectedState;
        return n;
    }
    // Connections accepted so far (open or not).
    qsizetype accepted() const { return m_clients.size(); }
    QByteArray received() const { return m_received; }
    void broadcast(const QByteArray& data)
    {
        for (const auto& socket : m_clients) {
            if (socket)
                socket->write(data);
        }
    }

private:
    QTcpServer m_server;
    QList<QPointer<QTcpSocket>> m_clients;
    QByteArray m_received;
};

quint16 closedPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

} // namespace

class TestTcp final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<EchoServer> m_echo;
    std::unique_ptr<SiteSession> m_net;

    QString eval(const QString& code) { return m_net->eval(code); }
    QString trace() { return m_net->trace(); }

    void connectGlobal()
    {
        // Other connections of the test may still be open or closing at this moment: what
        // counts is that the server accepted exactly one more.
        const qsizetype before = m_echo->accepted();
        eval(u"spawn(function() conn = assert(tcp.connect('127.0.0.1', port)); "
             "record('connected') end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"connected"_s, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->accepted(), before + 1, 5000);
        m_net->clearTrace();
    }

private slots:
    void init()
    {
        m_echo = std::make_unique<EchoServer>();
        QVERIFY(m_echo->listen());
        m_net = std::make_unique<SiteSession>(u"/tests/data/sites/net"_s);
        QVERIFY2(m_net->start(), qPrintable(m_net->error()));
        QCOMPARE(eval(u"tcp = require('tcp'); port = %1"_s.arg(m_echo->port())), QString());
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
        QVERIFY(plain.eval(u"require('tcp')"_s)
                    .contains(u"module 'tcp' needs the 'network' permission: add \"network\" to "
                              "permissions in lunette.json"_s));
    }

    void receivePatterns()
    {
        eval(
            u"spawn(function() local c = assert(tcp.connect('localhost', port)); "
            "record(tostring(c) == 'tcp connection: localhost:' .. port .. ' (open)'); "
            "record(c:send('hello\\r\\nworld\\nabcdef')); "
            "record(c:receive('*l'), c:receive('*l'), c:receive(3), c:receive(3)); "
            "c:send('xyz'); record(c:receive(3)); "
            "c:send('tail #close'); record(c:receive('*a')); "
            "local d, err = c:receive(); record(d, err.kind, err.retryable, tostring(c):match('%((.*)%)')) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(),
            u"true|19|hello world abc def|xyz|tail #close|nil network true closed"_s, 5000);
    }

    void otherTurnsRunWhileWaiting()
    {
        connectGlobal();
        eval(u"spawn(function() record('waiting'); record('got', conn:receive('*l')) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_net->waiting(), std::size_t(1), 5000);
        QCOMPARE(eval(u"record('meanwhile')"_s), QString());
        m_echo->broadcast("pushed ");
        m_echo->broadcast("line\n");
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"waiting|meanwhile|got pushed line"_s, 5000);
    }

    // Two tasks waiting on one connection are served in order.
    void waitersInOrder()
    {
        connectGlobal();
        eval(u"spawn(function() record('a', conn:receive('*l')) end); "
             "spawn(function() record('b', conn:receive(2)) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_net->waiting(), std::size_t(2), 5000);
        m_echo->broadcast("first\nxy");
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"a first|b xy"_s, 5000);
    }

    void receiveTimeout()
    {
        connectGlobal();
        eval(u"spawn(function() local d, err = conn:receive('*l', 100); "
             "record(d, err.kind, err.retryable, err.message) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(
            trace(), u"nil timeout true tcp receive timed out after 100 ms"_s, 5000);
        m_net->clearTrace();
        eval(u"spawn(function() conn:send('still\\n'); record(conn:receive('*l', 1000)) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"still"_s, 5000);
    }

    // The server closes while a task waits for a line: nil, err; sending fails too.
    void serverCloses()
    {
        connectGlobal();
        eval(u"spawn(function() local d, err = conn:receive('*l'); record(d, err.kind); "
             "record(conn:receive()); local ok, err2 = conn:send('x'); record(ok, err2.kind) end); "
             "conn:send('partial #close')"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"nil network|partial #close|nil network"_s, 5000);
    }

    // plua style: data and close handlers run as new tasks; the connection stays alive while
    // they listen.
    void handlers()
    {
        eval(u"spawn(function() local c = assert(tcp.connect('127.0.0.1', port)); "
             "c:on('data', function(d) record('data', d) end)"
             ":on('close', function() record('closed') end); c:send('one') end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"data one"_s, 5000);
        eval(u"collectgarbage(); collectgarbage()"_s); // nothing refers to c but its handlers
        m_echo->broadcast("two");
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"data one|data two"_s, 5000);
        m_net->clearTrace();
        // The server closes: the rest of the data, then the close handler.
        m_echo->broadcast("stop");
        eval(u"spawn(function() local c = assert(tcp.connect('127.0.0.1', port)); "
             "c:on('data', function(d) record('data', d) end)"
             ":on('close', function() record('closed') end); c:send('bye #close') end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"data stop|data bye #close|closed"_s, 5000);
        // A local close runs the close handlers too.
        m_net->clearTrace();
        connectGlobal();
        eval(u"conn:on('close', function() record('closed here') end); conn:close()"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"closed here"_s, 5000);
    }

    void connectionRefused()
    {
        eval(u"spawn(function() local c, err = tcp.connect('127.0.0.1', %1); "
             "record(c, err.kind, err.retryable) end)"_s.arg(closedPort()));
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"nil network true"_s, 5000);
    }

    void invalidArguments()
    {
        QCOMPARE(eval(u"local c, err = tcp.connect('127.0.0.1', 0); return c, err.kind, "
                      "err.message"_s),
            u"nil\tinvalid\ttcp.connect: port 0 is not from 1 to 65535"_s);
        QCOMPARE(eval(u"local c, err = tcp.connect('127.0.0.1', 70000); return c, err.kind"_s),
            u"nil\tinvalid"_s);
        QCOMPARE(
            eval(u"local c, err = tcp.connect('', 80); return c, err.kind"_s), u"nil\tinvalid"_s);
        QVERIFY(eval(u"tcp.connect({}, 80)"_s).contains(u"bad argument #1 to 'connect'"_s));
        QVERIFY(
            eval(u"tcp.connect('127.0.0.1', 'x')"_s).contains(u"bad argument #2 to 'connect'"_s));
        QVERIFY(eval(u"tcp.connect('127.0.0.1', 80, {timeout = 0})"_s)
                    .contains(u"'timeout' must be a positive number"_s));
        connectGlobal();
        QVERIFY(eval(u"conn:receive('*x')"_s).contains(u"bad argument #1 to 'receive'"_s));
        QVERIFY(eval(u"conn:receive(0)"_s).contains(u"a byte count from 1 to 64 MiB"_s));
        QVERIFY(eval(u"conn:receive({})"_s).contains(u"number or string expected"_s));
        QVERIFY(eval(u"conn:send()"_s).contains(u"bad argument #1 to 'send'"_s));
        QVERIFY(eval(u"conn.send(1, 'x')"_s).contains(u"tcp connection expected"_s));
    }

    void closeAndToBeClosed()
    {
        connectGlobal();
        QCOMPARE(eval(u"return conn:close(), conn:close()"_s), u"true\ttrue"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->open(), 0, 5000);
        QCOMPARE(eval(u"local ok, err = conn:send('x'); return ok, err.kind"_s), u"nil\tnetwork"_s);
        eval(u"spawn(function() do local c <close> = assert(tcp.connect('127.0.0.1', port)); "
             "c:send('bye'); record('in scope') end; record('left') end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"in scope|left"_s, 5000);
        // Data sent just before closing still arrives.
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->received(), QByteArray("bye"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->open(), 0, 5000);
    }

    // Closing from Lua wakes a task of the same connection waiting in receive().
    void closeWakesWaiters()
    {
        connectGlobal();
        eval(u"spawn(function() local d, err = conn:receive(); record(d, err.kind) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_net->waiting(), std::size_t(1), 5000);
        eval(u"conn:close()"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"nil network"_s, 5000);
    }

    void sessionEndClosesConnections()
    {
        eval(u"spawn(function() local c = assert(tcp.connect('127.0.0.1', port)); "
             "c:receive(); print('late receive') end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->open(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_net->waiting(), std::size_t(1), 5000);
        QVERIFY(m_net->destroy());
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->open(), 0, 5000);
        m_echo->broadcast("too late");
        QCoreApplication::processEvents();
        m_net->barrier();
        const QString log = m_net->logLines().join(u'\n');
        QVERIFY2(!log.contains(u"late "_s), qPrintable(log));
    }

    void connectionAfterTheSessionEnded()
    {
        BareTasks tasks;
        tasks.expose("tcp");
        QVERIFY(tasks.spawn(u"c = assert(tcp.connect('127.0.0.1', %1))"_s.arg(m_echo->port())));
        QTRY_COMPARE_WITH_TIMEOUT(tasks.run(u"return type(c)"_s), u"userdata"_s, 5000);
        QVERIFY(tasks.spawn(u"c:receive()"_s));
        tasks.endSession();
        QCOMPARE(tasks.run(u"local ok, err = c:send('x'); return ok, err.kind, err.message"_s),
            u"nil\tcanceled\ttcp send: the session ended"_s);
        QCOMPARE(
            tasks.run(u"local d, err = c:receive(); return d, err.kind"_s), u"nil\tcanceled"_s);
        QCOMPARE(
            tasks.run(u"local ok, err = c:close(); return ok, err.kind"_s), u"nil\tcanceled"_s);
    }
};

QTEST_GUILESS_MAIN(TestTcp)
#include "test_tcp.moc"

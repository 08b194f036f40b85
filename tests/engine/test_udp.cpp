// The udp module (runtime/modules/lua_udp.cpp) against a QUdpSocket echo on 127.0.0.1 that this
// test runs: open/send/receive in tasks, the sender's address, datagrams that queue while nobody
// receives, other turns running while a receive waits, receive timeouts, a port in use, invalid
// arguments, close and <close>, a session that ends while a receive waits, and the socket object
// after its session ended.

#include <QNetworkDatagram>
#include <QTest>
#include <QUdpSocket>

#include "support/SiteSession.h"

using namespace Qt::StringLiterals;
using lunette::test::BareTasks;
using lunette::test::SiteSession;

namespace {

// Echoes every datagram to its sender, except "quiet".
class EchoServer
{
public:
    EchoServer()
    {
        QObject::connect(&m_socket, &QUdpSocket::readyRead, &m_socket, [this] {
            while (m_socket.hasPendingDatagrams()) {
                const QNetworkDatagram d = m_socket.receiveDatagram();
                m_received << d.data();
                m_lastSender = static_cast<quint16>(d.senderPort());
                if (d.data() != "quiet")
                    m_socket.writeDatagram(d.makeReply(d.data()));
            }
        });
    }

    bool listen() { return m_socket.bind(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_socket.localPort(); }
    QList<QByteArray> received() const { return m_received; }
    quint16 lastSender() const { return m_lastSender; }
    void sendTo(quint16 port, const QByteArray& data)
    {
        m_socket.writeDatagram(data, QHostAddress::LocalHost, port);
    }

private:
    QUdpSocket m_socket;
    QList<QByteArray> m_received;
    quint16 m_lastSender = 0;
};

} // namespace

class TestUdp final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<EchoServer> m_echo;
    std::unique_ptr<SiteSession> m_net;

    QString eval(const QString& code) { return m_net->eval(code); }
    QString trace() { return m_net->trace(); }

private slots:
    void init()
    {
        m_echo = std::make_unique<EchoServer>();
        QVERIFY(m_echo->listen());
        m_net = std::make_unique<SiteSession>(u"/tests/data/sites/net"_s);
        QVERIFY2(m_net->start(), qPrintable(m_net->error()));
        QCOMPARE(eval(u"udp = require('udp'); port = %1"_s.arg(m_echo->port())), QString());
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
        QVERIFY(plain.eval(u"require('udp')"_s)
                    .contains(u"module 'udp' needs the 'network' permission: add \"network\" to "
                              "permissions in lunette.json"_s));
    }

    void sendAndReceive()
    {
        eval(u"spawn(function() local s = assert(udp.open()); "
             "record(s:port() > 0, tostring(s) == 'udp socket: port ' .. s:port() .. ' (open)'); "
             "record(s:send('127.0.0.1', port, 'ping')); "
             "local data, host, from = s:receive(); record(data, host, from == port); "
             "record(s:send('localhost', port, 'a\\0b')); local d = s:receive(); record(#d); "
             "s:close() end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"true true|4|ping 127.0.0.1 true|3|3"_s, 5000);
    }

    // Datagrams nobody waits for are kept, in order; receive() returns them without waiting.
    void datagramsQueueUp()
    {
        QCOMPARE(eval(u"s = assert(udp.open({host = '127.0.0.1'})); "
                      "for _, m in ipairs{'one', 'two', 'three'} do s:send('127.0.0.1', port, m) "
                      "end"_s),
            QString());
        QTRY_VERIFY_WITH_TIMEOUT(eval(u"return tostring(s)"_s).endsWith(u"3 queued)"_s), 5000);
        QCOMPARE(eval(u"local a, b, c = s:receive(), s:receive(), (s:receive()); "
                      "return a, b, c"_s),
            u"one\ttwo\tthree"_s);
        QCOMPARE(eval(u"return tostring(s)"_s).endsWith(u"(open)"_s), true);
    }

    void otherTurnsRunWhileWaiting()
    {
        eval(u"s = assert(udp.open()); "
             "spawn(function() record('waiting'); local d, host = s:receive(); "
             "record('got', d, host) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_net->waiting(), std::size_t(1), 5000);
        QCOMPARE(eval(u"record('meanwhile')"_s), QString());
        m_echo->sendTo(eval(u"return s:port()"_s).toUShort(), "pushed");
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"waiting|meanwhile|got pushed 127.0.0.1"_s, 5000);
    }

    // plua style: every datagram runs the handler as a new task, queued ones first.
    void handlers()
    {
        QCOMPARE(eval(u"s = assert(udp.open({host = '127.0.0.1'})); return s:send('127.0.0.1', "
                      "port, 'early')"_s),
            u"5"_s);
        QTRY_VERIFY_WITH_TIMEOUT(eval(u"return tostring(s)"_s).endsWith(u"1 queued)"_s), 5000);
        eval(u"s:on('datagram', function(d, host, from) record(d, host, from == port) end); "
             "s = nil; collectgarbage(); collectgarbage()"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"early 127.0.0.1 true"_s, 5000);
        const quint16 clientPort = m_echo->lastSender();
        m_echo->sendTo(clientPort, "later");
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"early 127.0.0.1 true|later 127.0.0.1 true"_s, 5000);
    }

    void receiveTimeout()
    {
        eval(u"spawn(function() local s = assert(udp.open()); s:send('127.0.0.1', port, 'quiet'); "
             "local d, err = s:receive(100); record(d, err.kind, err.retryable, err.message) "
             "end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(
            trace(), u"nil timeout true udp receive timed out after 100 ms"_s, 5000);
    }

    void portInUse()
    {
        QCOMPARE(eval(u"local s, err = udp.open({host = '127.0.0.1', port = port}); "
                      "return s, err.kind"_s),
            u"nil\tnetwork"_s);
    }

    void invalidArguments()
    {
        QCOMPARE(eval(u"local s, err = udp.open({port = 70000}); return s, err.kind, "
                      "err.message"_s),
            u"nil\tinvalid\tudp.open: port 70000 is not from 0 to 65535"_s);
        QCOMPARE(eval(u"local s, err = udp.open({host = 'example.org'}); return s, err.kind"_s),
            u"nil\tinvalid"_s);
        QVERIFY(eval(u"udp.open(5)"_s).contains(u"bad argument #1 to 'open'"_s));
        QVERIFY(eval(u"udp.open({port = 'x'})"_s).contains(u"'port' must be an integer"_s));
        eval(u"s = assert(udp.open())"_s);
        QCOMPARE(eval(u"local n, err = s:send('127.0.0.1', 0, 'x'); return n, err.kind"_s),
            u"nil\tinvalid"_s);
        QCOMPARE(eval(u"local n, err = s:send('127.0.0.1', port, string.rep('x', 70000)); "
                      "return n, err.kind"_s),
            u"nil\tinvalid"_s);
        QCOMPARE(
            eval(u"local n, err = s:send('', port, 'x'); return n, err.kind"_s), u"nil\tinvalid"_s);
        QVERIFY(eval(u"s:send({}, port, 'x')"_s).contains(u"bad argument #1 to 'send'"_s));
        QVERIFY(eval(u"s:send('127.0.0.1', port)"_s).contains(u"bad argument #3 to 'send'"_s));
        QVERIFY(eval(u"s:receive(0)"_s).contains(u"timeout must be a positive number"_s));
        QVERIFY(eval(u"s.receive(1)"_s).contains(u"udp socket expected"_s));
    }

    void closeWakesWaiters()
    {
        eval(u"s = assert(udp.open()); spawn(function() local d, err = s:receive(); "
             "record(d, err.kind, err.message) end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_net->waiting(), std::size_t(1), 5000);
        QCOMPARE(eval(u"return s:close(), s:close()"_s), u"true\ttrue"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"nil network the socket is closed"_s, 5000);
        QCOMPARE(eval(u"local n, err = s:send('127.0.0.1', port, 'x'); return n, err.kind"_s),
            u"nil\tnetwork"_s);
        QCOMPARE(eval(u"do local t <close> = assert(udp.open()); u = t end; "
                      "return tostring(u):match('%((.*)%)')"_s),
            u"closed"_s);
    }

    void sessionEndCancelsReceive()
    {
        eval(u"s = assert(udp.open()); spawn(function() s:receive(); print('late receive') end)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_net->waiting(), std::size_t(1), 5000);
        const quint16 clientPort = eval(u"return s:port()"_s).toUShort();
        QVERIFY(m_net->destroy());
        m_echo->sendTo(clientPort, "too late");
        QCoreApplication::processEvents();
        m_net->barrier();
        const QString log = m_net->logLines().join(u'\n');
        QVERIFY2(!log.contains(u"late "_s), qPrintable(log));
        // The port was released with the session.
        QUdpSocket again;
        QVERIFY(again.bind(QHostAddress::Any, clientPort));
    }

    void socketAfterTheSessionEnded()
    {
        BareTasks tasks;
        tasks.expose("udp");
        QCOMPARE(tasks.run(u"s = assert(udp.open()); return type(s)"_s), u"userdata"_s);
        QVERIFY(tasks.spawn(u"s:receive()"_s));
        tasks.endSession();
        QCOMPARE(tasks.run(u"local n, err = s:send('127.0.0.1', 9, 'x'); "
                           "return n, err.kind, err.message"_s),
            u"nil\tcanceled\tudp send: the session ended"_s);
        QCOMPARE(
            tasks.run(u"local d, err = s:receive(); return d, err.kind"_s), u"nil\tcanceled"_s);
        QCOMPARE(
            tasks.run(u"local ok, err = s:close(); return ok, err.kind"_s), u"nil\tcanceled"_s);
    }
};

QTEST_GUILESS_MAIN(TestUdp)
#include "test_udp.moc"

// Bad input and faults against the real server (issue 9): a real SiteServer with real sessions of
// the fixture site tests/data/sites/faults, real QWebSocket and raw QTcpSocket clients. Every case
// checks three things: the misbehaving client or script gets a clear error, the server and every
// other session keep working, and nothing leaks (the engine suite also runs under ASan + LSan).

#include <stdexcept>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <lua.hpp>

#include "hotload/HotLoader.h"
#include "lua/LuaState.h"
#include "runtime/TaskRunner.h"
#include "session/Session.h"
#include "support/ProtocolMatchers.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::test::data;
using lunette::test::isErrorWith;
using lunette::test::isUpdateOf;
using lunette::test::ProtocolClient;
using lunette::test::ServerFixture;

namespace {

// The actions of the fixture's App, created as variables kFirstAction, kFirstAction + 1, …
const QStringList kActions { u"bump"_s, u"slowBump"_s, u"recurse"_s, u"bomb"_s, u"spin"_s,
    u"spinLater"_s, u"hang"_s, u"yieldBare"_s, u"callNative"_s };
constexpr qint64 kCount = 2;
constexpr qint64 kStatus = 3;
constexpr qint64 kFirstAction = 10;
constexpr int kTurnDeadlineMs = 300;
constexpr std::size_t kMemoryLimit = 48u * 1024u * 1024u;

QString faultsSite()
{
    return lunette::test::sourceDir() + u"/tests/data/sites/faults"_s;
}

lunette::SessionManager::Options sessionOptions()
{
    lunette::SessionManager::Options options;
    options.session.lua.timeout = std::chrono::milliseconds(kTurnDeadlineMs);
    options.session.lua.memoryLimit = kMemoryLimit;
    return options;
}

auto isStatus(const QString& status)
{
    return [status](const QJsonObject& m) {
        return isUpdateOf(kStatus)(m) && data(m).value(u"value"_s).toString() == status;
    };
}

qint64 actionId(const QString& name)
{
    const qsizetype index = kActions.indexOf(name);
    Q_ASSERT(index >= 0);
    return kFirstAction + index;
}

} // namespace

class TestFaults final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServerFixture> m_server;

    void startServer(lunette::SessionManager::Options options = sessionOptions(),
        lunette::SiteServerOptions serverOptions = {}, const QString& site = faultsSite())
    {
        m_server.reset();
        m_server = std::make_unique<ServerFixture>(site, options, std::move(serverOptions));
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
    }

    // A client of `session` (a new one when empty) watching count and status, with every action
    // of the fixture created as a variable.
    std::unique_ptr<ProtocolClient> connect(QString session = {})
    {
        if (session.isEmpty())
            session = m_server->createSession();
        auto client = std::make_unique<ProtocolClient>(*m_server, session);
        if (session.isEmpty() || !client->open())
            return nullptr;
        QJsonArray messages { ProtocolClient::watch(1),
            ProtocolClient::create(kCount, 1, u"count"_s),
            ProtocolClient::create(kStatus, 1, u"status"_s) };
        for (const QString& action : kActions) {
            messages.append(ProtocolClient::create(
                actionId(action), 1, action + u"()"_s, { { u"access"_s, u"action"_s } }));
        }
        client->sendMessages(messages);
        if (client->waitForMessage(isUpdateOf(kStatus)).isEmpty())
            return nullptr;
        return client;
    }

    static void call(ProtocolClient& client, const QString& action)
    {
        client.sendMessages({ ProtocolClient::update(actionId(action), QJsonValue::Null) }, true);
    }

    // bump() and the count it leads to (-1 when no answer came).
    static qint64 bump(ProtocolClient& client)
    {
        call(client, u"bump"_s);
        const QJsonObject update = client.waitForMessage(isUpdateOf(kCount));
        return update.isEmpty() ? -1 : data(update).value(u"value"_s).toInteger();
    }

    // The description of the next lua-error or timeout error (empty when none came).
    static QString nextScriptError(ProtocolClient& client, int timeoutMs = 5000)
    {
        const QJsonObject error = client.waitForMessage(
            [](const QJsonObject& m) {
                return isErrorWith(u"lua-error"_s)(m) || isErrorWith(u"timeout"_s)(m);
            },
            timeoutMs);
        return data(error).value(u"description"_s).toString();
    }

    static QString sessionOf(ProtocolClient& client)
    {
        return client.socket().requestUrl().path().section(u'/', 2, 2);
    }

private slots:
    void init() { startServer(); }
    void cleanup() { m_server.reset(); }

    // --- bad frames -------------------------------------------------------------------------

    void frameOverTheSizeLimit()
    {
        lunette::SiteServerOptions limits;
        limits.maxFrameBytes = 4096;
        startServer(sessionOptions(), limits);
        auto client = connect();
        auto other = connect();
        QVERIFY(client && other);

        QByteArray big = "{\"type\":\"update\",\"data\":{\"varId\":2,\"value\":\"";
        big += QByteArray(5000, 'x') + "\"}}";
        client->send(big);
        const QJsonObject error = client->waitForMessage(isErrorWith(u"bad-message"_s));
        QVERIFY2(data(error).value(u"description"_s).toString().contains(u"frame too large"_s),
            QJsonDocument(error).toJson().constData());
        QVERIFY(data(error).value(u"description"_s).toString().contains(u"limit 4096"_s));
        QVERIFY(client->isOpen());
        QCOMPARE(bump(*client), 1);
        QCOMPARE(bump(*other), 1);
    }

    void deeplyNestedJson()
    {
        auto client = connect();
        auto other = connect();
        QVERIFY(client && other);
        // 200,000 levels: a recursive parser would overflow the C stack.
        client->send(QByteArray(200000, '[') + QByteArray(200000, ']'));
        QVERIFY2(data(client->waitForMessage(isErrorWith(u"bad-message"_s)))
                     .value(u"description"_s)
                     .toString()
                     .contains(u"nest"_s),
            "expected a nesting error");
        // Deep inside a value of a valid message.
        client->send("{\"type\":\"update\",\"data\":{\"varId\":2,\"value\":" + QByteArray(5000, '[')
            + QByteArray(5000, ']') + "}}");
        QVERIFY(!client->waitForMessage(isErrorWith(u"bad-message"_s)).isEmpty());
        QCOMPARE(bump(*client), 1);
        QCOMPARE(bump(*other), 1);
    }

    void invalidUtf8()
    {
        auto client = connect();
        QVERIFY(client);
        // A binary message reaches the session as it is; the bytes are not UTF-8.
        client->socket().sendBinaryMessage(QByteArrayLiteral(
            "{\"type\":\"update\",\"data\":{\"varId\":3,\"value\":\"\xff\xfe\xc3\"}}"));
        const QJsonObject error = client->waitForMessage(isErrorWith(u"bad-message"_s));
        QVERIFY2(data(error).value(u"description"_s).toString().contains(u"UTF-8"_s),
            QJsonDocument(error).toJson().constData());
        // Nothing was written: status is still "idle" for a new client of the session.
        auto again = connect(sessionOf(*client));
        QVERIFY(again);
        QCOMPARE(bump(*again), 1);
    }

    // --- broken connections -----------------------------------------------------------------

    // The WebSocket handshake done by hand, then a frame header announcing 1000 bytes followed
    // by 10 of them, then the connection drops.
    void halfAFrameThenDisconnect()
    {
        auto other = connect();
        QVERIFY(other);
        const QString session = m_server->createSession();
        QVERIFY(!session.isEmpty());

        QTcpSocket raw;
        raw.connectToHost(QHostAddress::LocalHost, m_server->server().port());
        QVERIFY(raw.waitForConnected(5000));
        const QByteArray host = "127.0.0.1:" + QByteArray::number(m_server->server().port());
        raw.write("GET /ws/" + session.toLatin1() + " HTTP/1.1\r\nHost: " + host
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              "Origin: "
            + m_server->origin().toLatin1()
            + "\r\nCookie: lunette-token=" + m_server->token().toLatin1() + "\r\n\r\n");
        QByteArray answer;
        QVERIFY(lunette::test::spinUntil(
            [&] {
                raw.waitForReadyRead(10);
                answer += raw.readAll();
                return answer.contains("\r\n\r\n");
            },
            5000));
        QVERIFY2(answer.startsWith("HTTP/1.1 101"), answer.constData());
        QTRY_VERIFY_WITH_TIMEOUT(m_server->sessions().hasSession(session), 5000);
        auto connectionsOf = [this, &session] {
            int connections = -1;
            m_server->sessions().sessionInfos(
                [&](std::vector<lunette::SessionManager::SessionInfo> infos) {
                    for (const auto& info : infos) {
                        if (info.id == session)
                            connections = info.connections;
                    }
                });
            // Runs after the closure above, and waits for it: its write is then visible here.
            m_server->executor().execute([] {});
            return connections;
        };
        QTRY_COMPARE_WITH_TIMEOUT(connectionsOf(), 1, 5000);

        // FIN, masked, 126 → 16-bit length 1000; mask key; then 10 payload bytes only.
        QByteArray frame;
        frame.append(char(0x81)).append(char(0x80 | 126)).append(char(0x03)).append(char(0xE8));
        frame.append("abcd").append("0123456789");
        raw.write(frame);
        QVERIFY(raw.waitForBytesWritten(5000));
        raw.abort();

        QTRY_COMPARE_WITH_TIMEOUT(connectionsOf(), 0, 5000);
        QCOMPARE(bump(*other), 1);
        // The session itself is fine: a new connection works.
        auto again = connect(session);
        QVERIFY(again);
        QCOMPARE(bump(*again), 1);
    }

    // The client leaves while its batch runs: the batch finishes, its state stays, its answer is
    // dropped, and the session takes the next connection.
    void disconnectInTheMiddleOfABatch()
    {
        // The default turn deadline: slowBump measures CPU time, which a busy machine stretches.
        lunette::SessionManager::Options options = sessionOptions();
        options.session.lua.timeout = lunette::LuaState::kDefaultTimeout;
        startServer(options);
        auto client = connect();
        auto other = connect();
        QVERIFY(client && other);
        const QString session = sessionOf(*client);
        client->sendMessages({ ProtocolClient::update(actionId(u"slowBump"_s), QJsonValue::Null),
                                 ProtocolClient::update(actionId(u"slowBump"_s), QJsonValue::Null),
                                 ProtocolClient::update(actionId(u"bump"_s), QJsonValue::Null) },
            true);
        client->close();
        client.reset();

        auto again = connect(session);
        QVERIFY(again);
        // The whole batch ran (two slow bumps and a bump), then this bump.
        QCOMPARE(bump(*again), 4);
        QCOMPARE(bump(*other), 1);
    }

    // Slow clients trickle a request header line by line; others are served meanwhile, and the
    // slow ones are cut off once the request timeout passes.
    void slowClientsDoNotBlockOthers()
    {
        lunette::SiteServerOptions limits;
        limits.requestTimeout = std::chrono::milliseconds(3000);
        startServer(sessionOptions(), limits);
        const quint16 port = m_server->server().port();

        std::vector<std::unique_ptr<QTcpSocket>> slow;
        for (int i = 0; i < 20; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(socket->waitForConnected(5000));
            socket->write("GET /static.html HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            slow.push_back(std::move(socket));
        }
        QTimer trickle;
        int line = 0;
        QObject::connect(&trickle, &QTimer::timeout, [&] {
            for (auto& socket : slow) {
                if (socket->state() == QAbstractSocket::ConnectedState)
                    socket->write("X-Slow-" + QByteArray::number(line) + ": 1\r\n");
            }
            ++line;
        });
        trickle.start(100);

        auto client = connect();
        QVERIFY(client);
        QCOMPARE(bump(*client), 1);
        QCOMPARE(m_server->get(u"/static.html"_s).status, 200);
        // Served while every slow client still held its connection.
        QVERIFY(std::all_of(slow.begin(), slow.end(),
            [](const auto& socket) { return socket->state() == QAbstractSocket::ConnectedState; }));

        // Every slow socket is closed by the server although it keeps sending.
        QVERIFY(lunette::test::spinUntil(
            [&] {
                return std::all_of(slow.begin(), slow.end(), [](const auto& socket) {
                    return socket->state() == QAbstractSocket::UnconnectedState;
                });
            },
            10000));
        QVERIFY2(line >= 20, "the slow clients were cut off before the timeout");
        // The WebSocket is exempt: it stays open past the request timeout.
        QVERIFY(client->isOpen());
        QCOMPARE(bump(*client), 2);
    }

    void connectionFloodIsRefusedCleanly()
    {
        lunette::SiteServerOptions limits;
        limits.maxConnections = 6;
        startServer(sessionOptions(), limits);
        const quint16 port = m_server->server().port();
        auto client = connect(); // one connection (the page's HTTP connection may close meanwhile)
        QVERIFY(client);

        std::vector<std::unique_ptr<QTcpSocket>> flood;
        QByteArray refused;
        for (int i = 0; i < 12 && refused.isEmpty(); ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(socket->waitForConnected(5000));
            // An accepted socket stays silent; a refused one is answered at once and closed.
            if (socket->waitForReadyRead(300)) {
                refused = socket->readAll();
                QVERIFY(socket->state() == QAbstractSocket::UnconnectedState
                    || socket->waitForDisconnected(5000));
            }
            flood.push_back(std::move(socket));
        }
        QVERIFY2(refused.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), refused.constData());
        QVERIFY(refused.contains("too many connections (limit 6)"));
        QVERIFY(flood.size() <= 6);
        // The WebSocket already open keeps working.
        QCOMPARE(bump(*client), 1);

        flood.clear();
        QTRY_COMPARE_WITH_TIMEOUT(m_server->get(u"/static.html"_s).status, 200, 5000);
    }

    // Closed WebSockets stop counting: many more than the limit, one after another, still work
    // (regression: the count of upgraded sockets never went down).
    void closedWebSocketsFreeTheirConnection()
    {
        lunette::SiteServerOptions limits;
        limits.maxConnections = 4;
        startServer(sessionOptions(), limits);
        const QString session = m_server->createSession();
        QVERIFY(!session.isEmpty());
        for (int i = 0; i < 12; ++i) {
            ProtocolClient client(*m_server, session);
            QVERIFY2(client.open(), qPrintable(u"connection %1"_s.arg(i + 1)));
            client.close();
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_server->get(u"/static.html"_s).status, 200, 5000);
        auto last = connect(session);
        QVERIFY(last);
        QCOMPARE(bump(*last), 1);
    }

    void connectionsPerSessionAreLimited()
    {
        lunette::SiteServerOptions limits;
        limits.maxConnectionsPerSession = 2;
        startServer(sessionOptions(), limits);
        auto first = connect();
        QVERIFY(first);
        const QString session = sessionOf(*first);
        auto second = connect(session);
        QVERIFY(second);

        ProtocolClient third(*m_server, session);
        QSignalSpy closed(&third.socket(), &QWebSocket::disconnected);
        third.open(); // the handshake succeeds, then the server closes with 1008
        QVERIFY(closed.count() > 0 || closed.wait(5000));
        QCOMPARE(third.socket().closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);
        QCOMPARE(third.socket().closeReason(), u"too many connections to this session (limit 2)"_s);

        QCOMPARE(bump(*first), 1);
        second->close();
        auto replacement = connect(session);
        QVERIFY(replacement);
        QCOMPARE(bump(*replacement), 2);
    }

    void sessionsAreLimited()
    {
        lunette::SessionManager::Options options = sessionOptions();
        options.maxSessions = 2;
        startServer(options);
        const QString first = m_server->createSession();
        QVERIFY(!first.isEmpty());
        QVERIFY(!m_server->createSession().isEmpty());
        const ServerFixture::HttpResult refused = m_server->get(u"/"_s);
        QCOMPARE(refused.status, 503);
        QVERIFY2(refused.body.contains("too many sessions (limit 2)"), refused.body.constData());
        m_server->sessions().destroySession(first);
        QTRY_VERIFY_WITH_TIMEOUT(!m_server->sessions().hasSession(first), 5000);
        QVERIFY(!m_server->createSession().isEmpty());
    }

    // --- runaway scripts --------------------------------------------------------------------

    void infiniteRecursion()
    {
        // With the default memory limit the stack limit comes first (with a small one, memory
        // does: a clear error too, "not enough memory").
        lunette::SessionManager::Options options = sessionOptions();
        options.session.lua.memoryLimit = lunette::LuaState::kDefaultMemoryLimit;
        startServer(options);
        auto client = connect();
        auto other = connect();
        QVERIFY(client && other);
        call(*client, u"recurse"_s);
        const QString error = nextScriptError(*client);
        QVERIFY2(error.contains(u"stack overflow"_s), qPrintable(error));
        QCOMPARE(bump(*client), 1);
        QCOMPARE(bump(*other), 1);
    }

    void memoryBomb()
    {
        auto client = connect();
        auto other = connect();
        QVERIFY(client && other);
        call(*client, u"bomb"_s);
        const QString error = nextScriptError(*client);
        QVERIFY2(error.contains(u"not enough memory"_s), qPrintable(error));
        QVERIFY2(error.contains(u"48.0 MiB"_s), qPrintable(error));
        // The hoard was garbage: the session allocates again.
        QCOMPARE(bump(*client), 1);
        QCOMPARE(bump(*other), 1);
    }

    void endlessLoopInAnAction()
    {
        auto client = connect();
        auto other = connect();
        QVERIFY(client && other);
        QElapsedTimer timer;
        timer.start();
        call(*client, u"spin"_s);
        const QString error = nextScriptError(*client);
        QVERIFY2(error.contains(u"timed out"_s), qPrintable(error));
        QVERIFY(timer.elapsed() >= kTurnDeadlineMs);
        QCOMPARE(bump(*client), 1);
        QCOMPARE(bump(*other), 1);
    }

    void endlessLoopInATimer()
    {
        auto client = connect();
        auto other = connect();
        QVERIFY(client && other);
        call(*client, u"spinLater"_s);
        QVERIFY(!client->waitForMessage(isStatus(u"scheduled"_s)).isEmpty());
        const QString error = nextScriptError(*client);
        QVERIFY2(error.contains(u"timer callback failed"_s) && error.contains(u"timed out"_s),
            qPrintable(error));
        QCOMPARE(bump(*client), 1);
        QCOMPARE(bump(*other), 1);
    }

    // main.lua never returns: creating a session fails with the error page, quickly, and the
    // sessions already running are untouched.
    void endlessLoopInMainLua()
    {
        QTemporaryDir temp;
        QVERIFY(temp.isValid());
        const QString site = temp.filePath(u"faults"_s);
        QVERIFY(lunette::test::copyTree(faultsSite(), site));
        startServer(sessionOptions(), {}, site);
        auto running = connect();
        QVERIFY(running);

        QVERIFY(lunette::test::writeFile(
            site + u"/lua/main.lua"_s, "local n = 0\nwhile true do n = n + 1 end\n"));
        QElapsedTimer timer;
        timer.start();
        const ServerFixture::HttpResult failed = m_server->get(u"/"_s);
        QCOMPARE(failed.status, 500);
        QVERIFY2(failed.body.contains("The site failed to start"), failed.body.constData());
        QVERIFY2(failed.body.contains("timed out"), failed.body.constData());
        QVERIFY(timer.elapsed() < 5000);
        QCOMPARE(m_server->sessions().sessionCount(), std::size_t(1));
        QCOMPARE(bump(*running), 1);
    }

    // A coroutine parked on a wait that never ends is freed with its session: the wait is
    // cancelled and the task runner goes away (LSan checks the rest).
    void coroutineThatNeverResumes()
    {
        auto client = connect();
        auto other = connect();
        QVERIFY(client && other);
        const QString session = sessionOf(*client);
        call(*client, u"hang"_s);
        QVERIFY(!client->waitForMessage(isStatus(u"hanging"_s)).isEmpty());
        call(*client, u"yieldBare"_s);
        QVERIFY(!client->waitForMessage(isStatus(u"yielded"_s)).isEmpty());
        QCOMPARE(bump(*client), 1); // the session is not blocked by its waiting coroutines

        std::weak_ptr<lunette::TaskRunnerCore> runner;
        std::size_t waiting = 0;
        m_server->sessions().withSession(session, [&](lunette::Session* s) {
            if (s) {
                runner = s->tasks().core();
                waiting = s->tasks().waitingCount();
            }
        });
        m_server->executor().execute([] {}); // after the closure above, waiting for it
        QCOMPARE(waiting, std::size_t(1)); // hang(); the bare yield is dropped at once

        m_server->sessions().destroySession(session);
        QTRY_VERIFY_WITH_TIMEOUT(!m_server->sessions().hasSession(session), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(runner.expired(), 5000);
        QCOMPARE(bump(*other), 1);
    }

    // A native function that lets a C++ exception escape: the action fails with a clear error,
    // and the session goes on.
    void exceptionFromANativeFunction()
    {
        auto client = connect();
        auto other = connect();
        QVERIFY(client && other);
        bool installed = false;
        m_server->sessions().withSession(sessionOf(*client), [&](lunette::Session* s) {
            if (s) {
                lua_State* L = s->lua().state();
                lua_pushcfunction(
                    L, [](lua_State*) -> int { throw std::runtime_error("native failure"); });
                lua_setglobal(L, "nativeFault");
                installed = true;
            }
        });
        m_server->executor().execute([] {}); // after the closure above, waiting for it
        QVERIFY(installed);
        call(*client, u"callNative"_s);
        const QString error = nextScriptError(*client);
        QVERIFY2(error.contains(u"C++ exception"_s), qPrintable(error));
        QCOMPARE(bump(*client), 1);
        // Again: the coroutine that failed this way is not reused in a broken state.
        call(*client, u"callNative"_s);
        QVERIFY(nextScriptError(*client).contains(u"C++ exception"_s));
        QCOMPARE(bump(*client), 2);
        QCOMPARE(bump(*other), 1);
    }

    // --- hot reload -------------------------------------------------------------------------

    // Reloads land between actions sent as fast as they are answered: every action is answered,
    // none is lost or errors, and the new code takes over.
    void hotReloadRacingActions()
    {
        QTemporaryDir temp;
        QVERIFY(temp.isValid());
        const QString site = temp.filePath(u"faults"_s);
        QVERIFY(lunette::test::copyTree(faultsSite(), site));
        startServer(sessionOptions(), {}, site);
        lunette::HotLoader loader(m_server->sessions());
        auto client = connect();
        QVERIFY(client);

        const QByteArray original = lunette::test::readFile(site + u"/lua/main.lua"_s);
        const QByteArray bumpByOne = "  self.count = self.count + 1\nend";
        QVERIFY(original.contains(bumpByOne));
        QSignalSpy reloaded(&loader, &lunette::HotLoader::luaReloaded);
        qint64 expected = 0;
        for (int round = 0; round < 20; ++round) {
            // Even rounds: bump adds 1; odd rounds: bump adds 2 — written, then reloaded while an
            // action is in flight.
            const int step = round % 2 == 0 ? 2 : 1;
            QByteArray edited = original;
            edited.replace(bumpByOne,
                QByteArray("  self.count = self.count + " + QByteArray::number(step) + "\nend"));
            QVERIFY(lunette::test::writeFile(site + u"/lua/main.lua"_s, edited));
            call(*client, u"bump"_s);
            loader.fileChanged(u"lua/main.lua"_s);
            const QJsonObject first = client->waitForMessage(isUpdateOf(kCount));
            QVERIFY(!first.isEmpty());
            const qint64 value = data(first).value(u"value"_s).toInteger();
            // The bump ran before or after the reload: old step or new step.
            const int oldStep = round % 2 == 0 ? 1 : 2;
            QVERIFY2(value == expected + oldStep || value == expected + step,
                qPrintable(u"round %1: %2 after %3"_s.arg(round).arg(value).arg(expected)));
            expected = value;
            QTRY_COMPARE_WITH_TIMEOUT(reloaded.count(), round + 1, 5000);
            // After the reload, the new code is what runs.
            QCOMPARE(bump(*client), expected + step);
            expected += step;
        }
        QVERIFY(client->isOpen());
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "test_faults.moc"

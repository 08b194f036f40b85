// The session console (GUI.md "Console"): lua.c REPL semantics and completion, in a real session
// of the protocol fixture site; a page connected over a real WebSocket sees what the console
// changes at once (it runs as a turn).

#include <mutex>
#include <semaphore>

#include <QJsonObject>
#include <QTest>

#include "session/Console.h"
#include "session/Session.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::ConsoleReply;
using lunette::test::ProtocolClient;
using lunette::test::ServerFixture;

class TestConsole final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServerFixture> m_server;
    QString m_session;

    ConsoleReply eval(const QString& input)
    {
        ConsoleReply reply;
        reply.status = ConsoleReply::Status::Error;
        reply.error = u"<no session>"_s;
        std::binary_semaphore done { 0 };
        m_server->sessions().withSession(m_session, [&](lunette::Session* s) {
            if (s)
                reply = lunette::evaluateInConsole(*s, input);
            done.release();
        });
        done.acquire();
        return reply;
    }
    QStringList complete(const QString& text)
    {
        QStringList candidates;
        std::binary_semaphore done { 0 };
        m_server->sessions().withSession(m_session, [&](lunette::Session* s) {
            if (s)
                candidates = lunette::completeInConsole(*s, text);
            done.release();
        });
        done.acquire();
        return candidates;
    }

private slots:
    void init()
    {
        m_server = std::make_unique<ServerFixture>(
            lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s);
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
        m_session = m_server->createSession();
        QVERIFY(!m_session.isEmpty());
    }

    void cleanup() { m_server.reset(); }

    void expressionsShowTheirValue()
    {
        const ConsoleReply two = eval(u"1+1"_s);
        QCOMPARE(two.status, ConsoleReply::Status::Ok);
        QCOMPARE(two.results, u"2"_s);
        QCOMPARE(eval(u"1, 'a', nil, 2.5"_s).results, u"1\ta\tnil\t2.5"_s);
        QCOMPARE(eval(u"app.title"_s).results, u"Protocol"_s);
    }

    void statementsAndState()
    {
        const ConsoleReply assign = eval(u"x = 5"_s);
        QCOMPARE(assign.status, ConsoleReply::Status::Ok);
        QCOMPARE(assign.results, QString());
        QCOMPARE(eval(u"x * 2"_s).results, u"10"_s);
        QCOMPARE(eval(u"local y = 3 return y + x"_s).results, u"8"_s);
    }

    void incompleteInputAsksForMore()
    {
        QCOMPARE(eval(u"for i=1,3 do"_s).status, ConsoleReply::Status::Incomplete);
        QCOMPARE(eval(u"function f("_s).status, ConsoleReply::Status::Incomplete);
        const ConsoleReply loop = eval(u"for i=1,3 do\nprint(i, i * i)\nend"_s);
        QCOMPARE(loop.status, ConsoleReply::Status::Ok);
        QCOMPARE(loop.output, (QStringList { u"1\t1"_s, u"2\t4"_s, u"3\t9"_s }));
    }

    void tostringIsHonoured()
    {
        QCOMPARE(
            eval(u"setmetatable({}, { __tostring = function() return 'custom!' end })"_s).results,
            u"custom!"_s);
        const ConsoleReply broken
            = eval(u"setmetatable({}, { __tostring = function() error('no text') end })"_s);
        QCOMPARE(broken.status, ConsoleReply::Status::Error);
        QVERIFY2(broken.error.contains(u"no text"_s), qPrintable(broken.error));
    }

    void errorsComeWithTraceback()
    {
        const ConsoleReply thrown = eval(u"error('x')"_s);
        QCOMPARE(thrown.status, ConsoleReply::Status::Error);
        QVERIFY2(thrown.error.contains(u"console:1: x"_s), qPrintable(thrown.error));
        QVERIFY2(thrown.traceback.contains(u"in function 'error'"_s), qPrintable(thrown.traceback));
        const ConsoleReply syntax = eval(u"1 +* 2"_s);
        QCOMPARE(syntax.status, ConsoleReply::Status::Error);
        QVERIFY2(syntax.error.startsWith(u"console:1:"_s), qPrintable(syntax.error));
        QCOMPARE(eval(u"1+1"_s).results, u"2"_s); // the console is fine afterwards
    }

    // It runs as a turn: a page watching the app sees the change without sending anything.
    void changesReachThePageAtOnce()
    {
        ProtocolClient client(*m_server, m_session);
        QVERIFY(client.open());
        client.sendMessages({ ProtocolClient::watch(1), ProtocolClient::create(2, 1, u"count"_s) });
        QVERIFY(!client
                     .waitForMessage([](const QJsonObject& m) {
                         return m.value(u"data"_s).toObject().value(u"varId"_s).toInteger() == 2;
                     })
                     .isEmpty());
        QCOMPARE(eval(u"session:getApp().count = 42"_s).status, ConsoleReply::Status::Ok);
        const QJsonObject update = client.waitForMessage([](const QJsonObject& m) {
            const QJsonObject d = m.value(u"data"_s).toObject();
            return d.value(u"varId"_s).toInteger() == 2 && d.value(u"value"_s).toInteger() == 42;
        });
        QVERIFY(!update.isEmpty());
    }

    void completion()
    {
        QVERIFY(complete(u"sess"_s).contains(u"session"_s));
        QCOMPARE(complete(u"session:createV"_s), QStringList { u"session:createVariable"_s });
        QVERIFY(complete(u"session:"_s).contains(u"session:getApp"_s));
        QCOMPARE(complete(u"string.upp"_s), QStringList { u"string.upper"_s });
        // Fields of an object and methods of its prototype (through __index).
        const QStringList app = complete(u"x = app."_s);
        QVERIFY2(app.contains(u"x = app.count"_s) && app.contains(u"x = app.increment"_s),
            qPrintable(app.join(u' ')));
        QVERIFY(complete(u"app:incr"_s).contains(u"app:increment"_s));
        QCOMPARE(complete(u"nothing.here"_s), QStringList());
    }

    // Console input runs as a task: it may wait; the first reply says so, the second brings the
    // result; other turns run meanwhile.
    void inputMayWait()
    {
        QList<ConsoleReply> replies;
        std::mutex mutex;
        std::binary_semaphore started { 0 };
        m_server->sessions().withSession(m_session, [&](lunette::Session* s) {
            lunette::evaluateInConsole(*s,
                u"print('before'); require('time').sleep(20); print('after'); return 6 * 7"_s,
                [&](const ConsoleReply& reply) {
                    std::lock_guard lock(mutex);
                    replies << reply;
                });
            started.release();
        });
        started.acquire();
        {
            std::lock_guard lock(mutex);
            QCOMPARE(replies.size(), 1);
            QCOMPARE(replies[0].status, ConsoleReply::Status::Waiting);
            QCOMPARE(replies[0].output, QStringList { u"before"_s });
        }
        QCOMPARE(eval(u"1 + 1"_s).results, u"2"_s); // the session answers while the input waits
        QTRY_COMPARE_WITH_TIMEOUT(
            [&] {
                std::lock_guard lock(mutex);
                return replies.size();
            }(),
            qsizetype(2), 5000);
        std::lock_guard lock(mutex);
        QCOMPARE(replies[1].status, ConsoleReply::Status::Ok);
        QCOMPARE(replies[1].results, u"42"_s);

        // A failure after the wait comes back as the second reply.
        QCOMPARE(eval(u"require('time').sleep(1); error('late', 0)"_s).status,
            ConsoleReply::Status::Waiting);
    }
};

QTEST_GUILESS_MAIN(TestConsole)
#include "test_console.moc"

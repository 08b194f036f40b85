// Tasks (runtime/TaskRunner, LUA_API.md "Coroutines everywhere user code runs"): actions, timers
// and main.lua run in coroutines; a module call that waits (time.sleep) ends the turn — its
// changes reach the page at once — and the task continues in a later turn, while other turns run.
// Yields inside pcall, in tail position and inside the site's own coroutines; where waiting is
// impossible (getters) a clear error; errors after a wait are reported; a session that ends
// cancels its waits.

#include <semaphore>

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include "runtime/TaskRunner.h"
#include "session/Console.h"
#include "session/Session.h"
#include "support/ServerFixture.h"
#include "support/SiteSession.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::ConsoleReply;
using lunette::test::ProtocolClient;
using lunette::test::ServerFixture;
using lunette::test::SiteSession;

class TestTasks final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<SiteSession> m_s;

    QString eval(const QString& input) { return m_s->eval(input); }
    QString trace() { return m_s->trace(); }
    QStringList logLines() { return m_s->logLines(); }

private slots:
    void init()
    {
        m_s = std::make_unique<SiteSession>(u"/tests/data/sites/async"_s);
        QVERIFY2(m_s->start(), qPrintable(m_s->error()));
    }

    void cleanup() { m_s.reset(); }

    // A waiting timer callback lets other turns run, then continues where it stopped.
    void waitingLetsOtherTurnsRun()
    {
        QCOMPARE(
            eval(
                u"setTimeout(function() record('a'); require('time').sleep(60); record('b') end, 0)"
                "; setTimeout(function() record('mid') end, 20)"_s),
            QString());
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"a|mid|b"_s, 5000);
    }

    // Timers (LUA_API.md): immediate first, then by deadline; globals and session:set* share one
    // id space (clearing with the "wrong" clear works, ids are never reused); an interval runs
    // until cleared; a cleared timer never fires.
    void timersOrderAndCancellation()
    {
        QCOMPARE(eval(u"local late = setTimeout(function() record('t60') end, 60) "
                      "setTimeout(function() record('t10') end, 10) "
                      "setImmediate(function() record('imm') end) "
                      "local gone = session:setTimeout(function() record('cancelled') end, 5) "
                      "clearInterval(gone) "
                      "local n, iv = 0 "
                      "iv = setInterval(function() n = n + 1 record('i' .. n) if n == 3 then "
                      "clearTimeout(iv) end end, 15) "
                      "setTimeout(function() record('end') end, 200) "
                      "return late ~= gone and gone ~= iv"_s),
            u"true"_s);
        QTRY_VERIFY_WITH_TIMEOUT(trace().endsWith(u"end"_s), 5000);
        const QStringList order = trace().split(u'|');
        QCOMPARE(order.first(), u"imm"_s);
        QVERIFY2(order.indexOf(u"t10"_s) < order.indexOf(u"t60"_s), qPrintable(order.join(u' ')));
        QVERIFY2(order.indexOf(u"i1"_s) < order.indexOf(u"i2"_s)
                && order.indexOf(u"i2"_s) < order.indexOf(u"i3"_s),
            qPrintable(order.join(u' ')));
        QVERIFY(!order.contains(u"i4"_s)); // cleared from its own callback
        QVERIFY(!order.contains(u"cancelled"_s));
        QCOMPARE(order.size(), 7);
    }

    // sleep returns after (about) the time asked for, not before.
    void sleepWaitsLongEnough()
    {
        eval(u"setTimeout(function() local t = require('time'); local t0 = t.monotonic(); "
             "t.sleep(50); record(t.monotonic() - t0 >= 0.045) end, 0)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"true"_s, 5000);
    }

    void yieldInsidePcall()
    {
        eval(u"setTimeout(function() local ok, v = pcall(function() require('time').sleep(5); "
             u"return 42 end); "
             "record(ok, v) end, 0)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"true 42"_s, 5000);
        // An error after the wait is caught by the pcall around it.
        eval(u"trace = {}; setTimeout(function() local ok, e = pcall(function() "
             u"require('time').sleep(5); "
             "error('inner', 0) end); record(ok, e) end, 0)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"false inner"_s, 5000);
    }

    void yieldInTailPosition()
    {
        eval(u"local function pause(ms) return require('time').sleep(ms) end; "
             "setTimeout(function() pause(5); record('after tail call') end, 0)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"after tail call"_s, 5000);
    }

    // A wait inside a coroutine of the site's own passes through it to the task.
    void yieldInsideTheSitesOwnCoroutines()
    {
        eval(
            u"local inner = coroutine.wrap(function(x) require('time').sleep(5); record('inner', "
            u"x); "
            "local y = coroutine.yield(x + 1); record('resumed', y); return 'done' end); "
            "setTimeout(function() local a = inner(1); record('got', a); record('end', inner(7)) end, 0)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"inner 1|got 2|resumed 7|end done"_s, 5000);

        eval(
            u"trace = {}; local co = coroutine.create(function() require('time').sleep(5); return "
            u"'r' end); "
            "setTimeout(function() record(coroutine.resume(co)); record(coroutine.status(co)) end, 0)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(trace(), u"true r|dead"_s, 5000);
    }

    // Where Lua cannot yield, waiting is an error that says why: a getter computed by the variable
    // layer, a sort comparator.
    void getterCannotWait()
    {
        ProtocolClient client(m_s->server(), m_s->id());
        QVERIFY(client.open());
        client.sendMessages({ ProtocolClient::watch(1) });
        client.sendMessages({ ProtocolClient::create(2, 1, u"waitingGetter()"_s) });
        const QJsonObject error = client.waitForMessage(
            [](const QJsonObject& m) { return m.value(u"type"_s) == u"error"_s; });
        const QString description
            = error.value(u"data"_s).toObject().value(u"description"_s).toString();
        QVERIFY2(description.contains(u"time.sleep cannot wait here"_s), qPrintable(description));

        eval(
            u"setTimeout(function() table.sort({3, 2, 1}, function(a, b) require('time').sleep(1) return a < b end) end, 0)"_s);
        QTRY_VERIFY_WITH_TIMEOUT(
            logLines().join(u'\n').contains(
                u"time.sleep cannot wait here: inside a call that cannot be suspended"_s),
            5000);
    }

    // A failure after the wait goes to the log (and to the variable that scheduled it).
    void errorsAfterAWaitAreReported()
    {
        eval(u"setTimeout(function() require('time').sleep(5); error('late failure') end, 0)"_s);
        QTRY_VERIFY_WITH_TIMEOUT(logLines().join(u'\n').contains(u"late failure"_s), 5000);
        QCOMPARE(eval(u"return 1 + 1"_s), u"2"_s); // the session is fine
    }

    // coroutine.yield() at the top of a task is not a wait: an error, the session goes on.
    void bareYieldIsAnError()
    {
        eval(u"setTimeout(function() coroutine.yield() end, 0)"_s);
        QTRY_VERIFY_WITH_TIMEOUT(
            logLines().join(u'\n').contains(u"use time.sleep(ms) to wait"_s), 5000);
    }

    // The page sees the state of an action before its wait (loading = true), then the rest.
    void aWaitPushesTheChangesSoFar()
    {
        ProtocolClient client(m_s->server(), m_s->id());
        QVERIFY(client.open());
        client.sendMessages({ ProtocolClient::watch(1) });
        client.sendMessages(
            { ProtocolClient::create(2, 1, u"loading"_s), ProtocolClient::create(3, 1, u"result"_s),
                ProtocolClient::create(4, 1, u"load()"_s, { { u"access"_s, u"action"_s } }) });
        client.sendMessages({ ProtocolClient::update(4, QJsonValue()) }, true);
        // loading = true arrives while the action waits...
        const QJsonObject loading = client.waitForMessage([](const QJsonObject& m) {
            const QJsonObject d = m.value(u"data"_s).toObject();
            return m.value(u"type"_s) == u"update"_s && d.value(u"varId"_s).toInt() == 2
                && d.value(u"value"_s) == QJsonValue(true);
        });
        QVERIFY(!loading.isEmpty());
        QCOMPARE(eval(u"return session:getApp().result"_s), QString()); // still waiting
        // ...then the result and loading = false.
        const QJsonObject result = client.waitForMessage([](const QJsonObject& m) {
            const QJsonObject d = m.value(u"data"_s).toObject();
            return m.value(u"type"_s) == u"update"_s && d.value(u"varId"_s).toInt() == 3
                && d.value(u"value"_s) == QJsonValue(u"loaded"_s);
        });
        QVERIFY(!result.isEmpty());
        QCOMPARE(eval(u"return session:getApp().loading"_s), u"false"_s);
    }

    // Ending a session while tasks wait cancels the waits; nothing runs afterwards.
    void endingTheSessionCancelsWaits()
    {
        eval(u"setTimeout(function() require('time').sleep(100000); record('never') end, 0)"_s);
        QTRY_COMPARE_WITH_TIMEOUT(m_s->waiting(), std::size_t(1), 5000);
        QVERIFY(m_s->destroy());
    }

    // main.lua may wait: the session exists after its first part, the rest follows.
    void mainLuaMayWait()
    {
        ServerFixture server(lunette::test::sourceDir() + u"/tests/data/sites/async-main"_s);
        QVERIFY2(server.start(), qPrintable(server.error()));
        const QString id = server.createSession();
        QVERIFY(!id.isEmpty());
        const auto phase = [&] {
            QString out;
            std::binary_semaphore done { 0 };
            server.sessions().withSession(id, [&](lunette::Session* s) {
                if (s)
                    out = lunette::evaluateInConsole(*s, u"return phase"_s).results;
                done.release();
            });
            done.acquire();
            return out;
        };
        QTRY_COMPARE_WITH_TIMEOUT(phase(), u"after"_s, 5000);
    }
};

QTEST_GUILESS_MAIN(TestTasks)
#include "test_tasks.moc"

// SessionManager's views for the desktop docks: sessionInfos() (the Sessions dock) and
// variablesIfChanged() (the Variables dock), on real sessions of the protocol fixture site driven
// by a real WebSocket client. Expected values come from the fixture (tests/data/sites/protocol).

#include <semaphore>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include "session/Console.h"
#include "session/Session.h"
#include "support/ProtocolMatchers.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::SessionManager;
using lunette::test::isUpdateOf;
using lunette::test::ProtocolClient;
using lunette::test::ServerFixture;
using Snapshot = lunette::SessionService::VariablesSnapshot;

namespace {

auto isErrorOf(qint64 varId)
{
    return [varId](const QJsonObject& m) {
        return m.value(u"type"_s) == u"error"_s
            && m.value(u"data"_s).toObject().value(u"varId"_s).toInteger() == varId;
    };
}

// The browser row of variable `id` (session-wide or of any connection).
QJsonObject row(const QByteArray& json, qint64 id)
{
    const QJsonArray rows = QJsonDocument::fromJson(json).array();
    for (const QJsonValue& r : rows) {
        if (r.toObject().value(u"id"_s).toInteger() == id)
            return r.toObject();
    }
    return {};
}

} // namespace

class TestSessionManager final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServerFixture> m_server;

    std::vector<SessionManager::SessionInfo> infos()
    {
        std::vector<SessionManager::SessionInfo> result;
        std::binary_semaphore done { 0 };
        m_server->sessions().sessionInfos([&](std::vector<SessionManager::SessionInfo> infos) {
            result = std::move(infos);
            done.release();
        });
        done.acquire();
        return result;
    }

    struct IfChanged
    {
        Snapshot snapshot;
        bool changed = false;
    };
    IfChanged ifChanged(const QString& session, quint64 known)
    {
        IfChanged result;
        std::binary_semaphore done { 0 };
        m_server->sessions().variablesIfChanged(
            session, known, [&](const Snapshot& snapshot, bool changed) {
                result = { snapshot, changed };
                done.release();
            });
        done.acquire();
        return result;
    }

    // Runs `code` in the session's console (a turn: change detection follows).
    void eval(const QString& session, const QString& code)
    {
        lunette::ConsoleReply reply;
        std::binary_semaphore done { 0 };
        m_server->sessions().withSession(session, [&](lunette::Session* s) {
            if (s)
                reply = lunette::evaluateInConsole(*s, code);
            done.release();
        });
        done.acquire();
        QVERIFY2(reply.status == lunette::ConsoleReply::Status::Ok, qPrintable(reply.error));
    }

private slots:
    void init()
    {
        m_server = std::make_unique<ServerFixture>(
            lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s);
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
    }

    void cleanup() { m_server.reset(); }

    void sessionInfosInCreationOrder()
    {
        QVERIFY(infos().empty());
        const auto before = std::chrono::steady_clock::now();
        const QString a = m_server->createSession();
        const QString b = m_server->createSession();
        const QString c = m_server->createSession();
        QVERIFY(!a.isEmpty() && !b.isEmpty() && !c.isEmpty());

        auto list = infos();
        QCOMPARE(list.size(), 3u);
        QCOMPARE(list[0].id, a);
        QCOMPARE(list[1].id, b);
        QCOMPARE(list[2].id, c);
        for (const auto& info : list) {
            QCOMPARE(info.connections, 0);
            QCOMPARE(info.variableCount, 1); // the app variable of lua/main.lua
            QVERIFY(info.created >= before);
            QVERIFY(info.created <= std::chrono::steady_clock::now());
            QCOMPARE(info.lastActivity, info.created);
        }
        QVERIFY(list[0].created <= list[1].created && list[1].created <= list[2].created);

        // A page on b: one connection, its variable counts, its frames are activity.
        ProtocolClient client(*m_server, b);
        QVERIFY(client.open());
        client.sendMessages({ ProtocolClient::watch(1), ProtocolClient::create(2, 1, u"title"_s) });
        QVERIFY(!client.waitForMessage(isUpdateOf(2)).isEmpty());
        list = infos();
        QCOMPARE(list[1].connections, 1);
        QCOMPARE(list[1].variableCount, 2);
        QVERIFY(list[1].lastActivity > list[1].created);
        QCOMPARE(list[0].connections, 0);

        // Its variables go with the connection; a destroyed session leaves the list.
        client.close();
        QTRY_COMPARE(infos()[1].connections, 0);
        QCOMPARE(infos()[1].variableCount, 1);
        m_server->sessions().destroySession(a);
        list = infos();
        QCOMPARE(list.size(), 2u);
        QCOMPARE(list[0].id, b);
        QCOMPARE(list[1].id, c);
    }

    // The JSON is rebuilt only when the tree moved: creation, value, property, error, watchers,
    // destruction. scanCount() alone would miss most of these (it counts value-changing scans).
    void variablesIfChangedSkipsUnchangedTrees()
    {
        const QString session = m_server->createSession();
        QVERIFY(!session.isEmpty());

        IfChanged r = ifChanged(session, 0);
        QVERIFY(r.changed);
        QVERIFY(r.snapshot.found);
        QVERIFY(r.snapshot.version > 0);
        QCOMPARE(QJsonDocument::fromJson(r.snapshot.json).array().size(), 1);
        quint64 known = r.snapshot.version;

        r = ifChanged(session, known);
        QVERIFY(!r.changed);
        QVERIFY(r.snapshot.found);
        QVERIFY(r.snapshot.json.isEmpty());
        QCOMPARE(r.snapshot.version, known);

        // Created variables.
        ProtocolClient client(*m_server, session);
        QVERIFY(client.open());
        client.sendMessages({ ProtocolClient::watch(1), ProtocolClient::create(2, 1, u"count"_s),
            ProtocolClient::create(3, 1, u"selected.name"_s) });
        QVERIFY(!client.waitForMessage(isErrorOf(3)).isEmpty()); // selected is nil
        r = ifChanged(session, known);
        QVERIFY(r.changed);
        QCOMPARE(row(r.snapshot.json, 2).value(u"value"_s).toInteger(), 0);
        QCOMPARE(row(r.snapshot.json, 2).value(u"watchers"_s).toInt(), 1);
        QVERIFY(!row(r.snapshot.json, 3).value(u"error"_s).toString().isEmpty());
        known = r.snapshot.version;
        QVERIFY(!ifChanged(session, known).changed);

        // A value changed by Lua.
        eval(session, u"app.count = 7"_s);
        r = ifChanged(session, known);
        QVERIFY(r.changed);
        QCOMPARE(row(r.snapshot.json, 2).value(u"value"_s).toInteger(), 7);
        QCOMPARE(row(r.snapshot.json, 2).value(u"changeCount"_s).toInteger(), 2);
        known = r.snapshot.version;

        // A property set by the client.
        client.send(R"({"type":"update","data":{"varId":2,"properties":{"label":"Count"}}})");
        QTRY_VERIFY(ifChanged(session, known).changed);
        r = ifChanged(session, known);
        QCOMPARE(row(r.snapshot.json, 2).value(u"properties"_s).toObject().value(u"label"_s),
            u"Count"_s);
        known = r.snapshot.version;

        // An error that goes away, then comes back: no value of another variable changes.
        eval(session, u"app.selected = app.items[1]"_s);
        r = ifChanged(session, known);
        QVERIFY(r.changed);
        QCOMPARE(row(r.snapshot.json, 3).value(u"value"_s).toString(), u"a"_s);
        QVERIFY(!row(r.snapshot.json, 3).contains(u"error"_s));
        known = r.snapshot.version;
        const quint64 scans = r.snapshot.changeCount;
        eval(session, u"app.selected = nil"_s);
        r = ifChanged(session, known);
        QVERIFY2(r.changed, "an error alone changes the tree");
        QCOMPARE(r.snapshot.changeCount, scans); // scanCount did not see it
        QVERIFY(row(r.snapshot.json, 3).value(u"error"_s).toString().contains(u"nil"_s));
        known = r.snapshot.version;

        // A second page watching variable 1.
        ProtocolClient second(*m_server, session);
        QVERIFY(second.open());
        second.sendMessages({ ProtocolClient::watch(1) });
        QVERIFY(!second.waitForMessage(isUpdateOf(1)).isEmpty());
        r = ifChanged(session, known);
        QVERIFY(r.changed);
        QCOMPARE(row(r.snapshot.json, 1).value(u"watchers"_s).toInt(), 2);
        known = r.snapshot.version;

        // The first page leaves: its variables are destroyed, variable 1 loses a watcher.
        client.close();
        QTRY_VERIFY(ifChanged(session, known).changed);
        QTRY_COMPARE(
            QJsonDocument::fromJson(ifChanged(session, 0).snapshot.json).array().size(), 1);
        QCOMPARE(row(ifChanged(session, 0).snapshot.json, 1).value(u"watchers"_s).toInt(), 1);
    }

    void variablesIfChangedOfAnUnknownSession()
    {
        const IfChanged r = ifChanged(u"0123456789abcdef0123456789abcdef"_s, 5);
        QVERIFY(r.changed);
        QVERIFY(!r.snapshot.found);
        QVERIFY(r.snapshot.json.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSessionManager)
#include "test_sessionmanager.moc"

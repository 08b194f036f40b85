// VariablesModel (the Variables dock's data, GUI.md "Variables"): a real session of the protocol
// fixture site (tests/data/sites/protocol) with a page made by a real WebSocket client, the model
// polling it through SessionManager — under QAbstractItemModelTester through every update.
// Expected values are the fixture's (lua/main.lua), written out by hand.

#include <atomic>
#include <semaphore>

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include "VariablesModel.h"
#include "session/Console.h"
#include "session/Session.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using lunette::test::ProtocolClient;
using lunette::test::ServerFixture;
using Role = VariablesModel::Role;

namespace {

auto isUpdateOf(qint64 varId)
{
    return [varId](const QJsonObject& m) {
        return m.value(u"type"_s) == u"update"_s
            && m.value(u"data"_s).toObject().value(u"varId"_s).toInteger() == varId;
    };
}

QJsonObject properties(std::initializer_list<std::pair<QString, QString>> list)
{
    QJsonObject o;
    for (const auto& [name, value] : list)
        o.insert(name, value);
    return o;
}

} // namespace

class TestVariablesModel final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServerFixture> m_server;
    QString m_session;

    // The fixture page: variables 2–9 under the app (variable 1).
    //   2 title (r, elementId ui-7)   3 count (label=Count)   4 items (r)
    //   5 items/0 → 6 items/0/name    7 selected.name (nil: an error)
    //   8 increment() (action)        9 makeNames() (r, a getter: timed)
    std::unique_ptr<ProtocolClient> openPage()
    {
        auto client = std::make_unique<ProtocolClient>(*m_server, m_session);
        if (!client->open())
            return nullptr;
        client->sendMessages({ ProtocolClient::watch(1),
            ProtocolClient::create(2, 1, u"title"_s,
                properties({ { u"access"_s, u"r"_s }, { u"elementId"_s, u"ui-7"_s } })),
            ProtocolClient::create(3, 1, u"count"_s, properties({ { u"label"_s, u"Count"_s } })),
            ProtocolClient::create(4, 1, u"items"_s, properties({ { u"access"_s, u"r"_s } })),
            ProtocolClient::create(5, 4, u"0"_s), ProtocolClient::create(6, 5, u"name"_s),
            ProtocolClient::create(7, 1, u"selected.name"_s),
            ProtocolClient::create(
                8, 1, u"increment()"_s, properties({ { u"access"_s, u"action"_s } })),
            ProtocolClient::create(
                9, 1, u"makeNames()"_s, properties({ { u"access"_s, u"r"_s } })) });
        if (client->waitForMessage(isUpdateOf(9)).isEmpty())
            return nullptr;
        return client;
    }

    void eval(const QString& code)
    {
        lunette::ConsoleReply reply;
        std::binary_semaphore done { 0 };
        m_server->sessions().withSession(m_session, [&](lunette::Session* s) {
            if (s)
                reply = lunette::evaluateInConsole(*s, code);
            done.release();
        });
        done.acquire();
        QVERIFY2(reply.status == lunette::ConsoleReply::Status::Ok, qPrintable(reply.error));
    }

    static QList<qint64> ids(const VariablesModel& model)
    {
        QList<qint64> result;
        for (int row = 0; row < model.rowCount(); ++row)
            result.append(model.index(row).data(Role::VarIdRole).toLongLong());
        return result;
    }
    static int rowOf(const VariablesModel& model, qint64 id)
    {
        return static_cast<int>(ids(model).indexOf(id));
    }
    static QVariant value(const VariablesModel& model, qint64 id, Role role)
    {
        const int row = rowOf(model, id);
        return row < 0 ? QVariant() : model.index(row).data(role);
    }

    void attach(VariablesModel& model)
    {
        QSignalSpy refreshed(&model, &VariablesModel::refreshed);
        model.setSessions(&m_server->sessions());
        model.setSessionId(m_session);
        QVERIFY(refreshed.wait(5000));
    }

private slots:
    void init()
    {
        lunette::SessionManager::Options options;
        options.session.lua.timeout = std::chrono::milliseconds(0); // only requestStop ends a turn
        m_server = std::make_unique<ServerFixture>(
            lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s, options);
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
        m_session = m_server->createSession();
        QVERIFY(!m_session.isEmpty());
    }

    void cleanup()
    {
        m_server->executor().requestStop(); // a runaway turn of a failed test
        m_server.reset();
    }

    void rolesShowTheTree()
    {
        VariablesModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.roleNames().value(Role::RecentlyChangedRole), QByteArray("recentlyChanged"));
        QCOMPARE(model.interval(), 100);
        attach(model);
        QCOMPARE(ids(model), QList<qint64> { 1 });
        QCOMPARE(value(model, 1, Role::TypeRole).toString(), u"App"_s);

        auto page = openPage();
        QVERIFY(page);
        // Depth-first, children in creation order under their parent.
        QTRY_COMPARE(ids(model), (QList<qint64> { 1, 2, 3, 4, 5, 6, 7, 8, 9 }));
        QList<int> depths;
        for (int row = 0; row < model.rowCount(); ++row)
            depths.append(model.index(row).data(Role::DepthRole).toInt());
        QCOMPARE(depths, (QList<int> { 0, 1, 1, 1, 2, 3, 1, 1, 1 }));
        QCOMPARE(value(model, 1, Role::ParentIdRole).toLongLong(), 0ll);
        QCOMPARE(value(model, 6, Role::ParentIdRole).toLongLong(), 5ll);
        QCOMPARE(value(model, 4, Role::HasChildrenRole).toBool(), true);
        QCOMPARE(value(model, 4, Role::ExpandedRole).toBool(), true);
        QCOMPARE(value(model, 6, Role::HasChildrenRole).toBool(), false);

        QCOMPARE(value(model, 2, Role::PathRole).toString(), u"title"_s);
        QCOMPARE(value(model, 2, Role::ValueRole).toString(), u"\"Protocol\""_s);
        QCOMPARE(value(model, 2, Role::AccessRole).toString(), u"r"_s);
        QCOMPARE(value(model, 2, Role::ElementIdRole).toString(), u"ui-7"_s);
        QCOMPARE(value(model, 2, Role::PropertiesRole).toString(), QString());
        QCOMPARE(value(model, 2, Role::WatchersRole).toInt(), 1);
        QCOMPARE(value(model, 2, Role::ErrorRole).toString(), QString());
        QCOMPARE(value(model, 3, Role::ValueRole).toString(), u"0"_s);
        QCOMPARE(value(model, 3, Role::AccessRole).toString(), u"rw"_s);
        QCOMPARE(value(model, 3, Role::PropertiesRole).toString(), u"label=Count"_s);
        QCOMPARE(value(model, 3, Role::ChangeCountRole).toLongLong(), 1ll);
        QCOMPARE(value(model, 5, Role::TypeRole).toString(), u"Item"_s);
        QCOMPARE(value(model, 6, Role::ValueRole).toString(), u"\"a\""_s);
        QVERIFY2(value(model, 7, Role::ErrorRole).toString().contains(u"selected is nil"_s),
            qPrintable(value(model, 7, Role::ErrorRole).toString()));
        QCOMPARE(value(model, 8, Role::AccessRole).toString(), u"action"_s);
        QCOMPARE(value(model, 9, Role::ValueRole).toString(), u"[\"x\",\"y\"]"_s);
        QCOMPARE(value(model, 9, Role::FullValueRole).toString(), u"[\n    \"x\",\n    \"y\"\n]"_s);
        // items: two object references, on one line.
        QVERIFY(QRegularExpression(uR"(^\[\{"obj":\d+\},\{"obj":\d+\}\]$)"_s)
                    .match(value(model, 4, Role::ValueRole).toString())
                    .hasMatch());

        // An action: count changes, the getter is timed by the scan that follows.
        page->sendMessages({ ProtocolClient::update(8, QJsonValue::Null) }, true);
        QTRY_COMPARE(value(model, 3, Role::ValueRole).toString(), u"1"_s);
        QCOMPARE(value(model, 3, Role::ChangeCountRole).toLongLong(), 2ll);
        QCOMPARE(value(model, 3, Role::RecentlyChangedRole).toBool(), true);
        QCOMPARE(value(model, 2, Role::RecentlyChangedRole).toBool(), false);
        QVERIFY2(QRegularExpression(u"^\\d+(\\.\\d+)?(ns|us|ms|s)$"_s)
                     .match(value(model, 9, Role::ComputeTimeRole).toString())
                     .hasMatch(),
            qPrintable(value(model, 9, Role::ComputeTimeRole).toString()));

        // A long value is cut to one line of 120 characters.
        eval(u"app.title = string.rep('ab', 100)"_s);
        QTRY_COMPARE(value(model, 2, Role::ValueRole).toString().size(), 120);
        QVERIFY(value(model, 2, Role::ValueRole).toString().startsWith(u"\"abab"_s));
        QVERIFY(value(model, 2, Role::ValueRole).toString().endsWith(u"…"_s));
        QCOMPARE(value(model, 2, Role::FullValueRole).toString().size(), 202);
    }

    void selectionHighlightsTheElement()
    {
        VariablesModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        attach(model);
        auto page = openPage();
        QVERIFY(page);
        QTRY_COMPARE(model.rowCount(), 9);
        QSignalSpy highlight(&model, &VariablesModel::highlightRequested);
        QSignalSpy selectedChanged(&model, &VariablesModel::selectedIdChanged);
        model.select(rowOf(model, 2));
        QCOMPARE(model.selectedId(), qint64(2));
        QCOMPARE(selectedChanged.count(), 1);
        QCOMPARE(highlight.count(), 1);
        QCOMPARE(highlight.at(0).at(0).toString(), u"ui-7"_s);
        QCOMPARE(value(model, 2, Role::SelectedRole).toBool(), true);
        QCOMPARE(value(model, 3, Role::SelectedRole).toBool(), false);
        model.select(rowOf(model, 3)); // no element: nothing to highlight
        QCOMPARE(model.selectedId(), qint64(3));
        QCOMPARE(highlight.count(), 1);
        QCOMPARE(value(model, 2, Role::SelectedRole).toBool(), false);
        model.setSelectedId(6);
        QCOMPARE(value(model, 6, Role::SelectedRole).toBool(), true);

        // The selected variable goes away with its page: nothing is selected.
        page->close();
        QTRY_COMPARE(ids(model), QList<qint64> { 1 });
        QCOMPARE(model.selectedId(), qint64(0));
    }

    void filterFlatAndCollapse()
    {
        VariablesModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        attach(model);
        auto page = openPage();
        QVERIFY(page);
        eval(u"app:addChild()"_s); // a Lua-created child of variable 1: id -1
        QTRY_COMPARE(ids(model), (QList<qint64> { 1, 2, 3, 4, 5, 6, 7, 8, 9, -1 }));

        // Matching rows keep their ancestors; the filter looks at path, value, type and id.
        model.setFilterText(u"NAME"_s); // paths name, selected.name, makeNames()
        QCOMPARE(ids(model), (QList<qint64> { 1, 4, 5, 6, 7, 9 }));
        model.setFilterText(u"roto"_s); // the value "Protocol"
        QCOMPARE(ids(model), (QList<qint64> { 1, 2 }));
        model.setFilterText(u"item"_s); // the type Item, and the path items
        QCOMPARE(ids(model), (QList<qint64> { 1, 4, 5 }));
        model.setFilterText(u"incr"_s);
        QCOMPARE(ids(model), (QList<qint64> { 1, 8 }));
        model.setFilterText(u"-1"_s); // an id
        QCOMPARE(ids(model), (QList<qint64> { 1, -1 }));

        // Flat: every variable by id, at depth 0.
        model.setFilterText({});
        model.setFlat(true);
        QCOMPARE(ids(model), (QList<qint64> { 1, 2, 3, 4, 5, 6, 7, 8, 9, -1 }));
        for (int row = 0; row < model.rowCount(); ++row)
            QCOMPARE(model.index(row).data(Role::DepthRole).toInt(), 0);
        model.setFilterText(u"NAME"_s);
        QCOMPARE(ids(model), (QList<qint64> { 6, 7, 9 }));
        model.setFilterText({});
        model.setFlat(false);

        // Collapsing hides the descendants, expanding brings them back.
        model.toggleExpanded(rowOf(model, 4));
        QCOMPARE(value(model, 4, Role::ExpandedRole).toBool(), false);
        QCOMPARE(ids(model), (QList<qint64> { 1, 2, 3, 4, 7, 8, 9, -1 }));
        model.toggleExpanded(rowOf(model, 1));
        QCOMPARE(ids(model), QList<qint64> { 1 });
        model.toggleExpanded(0);
        QCOMPARE(ids(model), (QList<qint64> { 1, 2, 3, 4, 7, 8, 9, -1 }));
        // The collapsed state survives snapshots.
        QSignalSpy refreshed(&model, &VariablesModel::refreshed);
        eval(u"app.count = 5"_s);
        QVERIFY(refreshed.wait(5000));
        QCOMPARE(value(model, 3, Role::ValueRole).toString(), u"5"_s);
        QCOMPARE(ids(model), (QList<qint64> { 1, 2, 3, 4, 7, 8, 9, -1 }));
        model.toggleExpanded(rowOf(model, 4));
        QCOMPARE(ids(model), (QList<qint64> { 1, 2, 3, 4, 5, 6, 7, 8, 9, -1 }));
    }

    // Snapshots move rows in place: a changed value is one dataChanged, a new variable one
    // insert at its place, destroyed ones removes — no reset.
    void updatesAreGranular()
    {
        VariablesModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        attach(model);
        auto page = std::make_unique<ProtocolClient>(*m_server, m_session);
        QVERIFY(page->open());
        page->sendMessages({ ProtocolClient::watch(1), ProtocolClient::create(2, 1, u"title"_s),
            ProtocolClient::create(3, 1, u"count"_s), ProtocolClient::create(4, 1, u"name"_s) });
        QVERIFY(!page->waitForMessage(isUpdateOf(4)).isEmpty());
        QTRY_COMPARE(ids(model), (QList<qint64> { 1, 2, 3, 4 }));

        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy refreshed(&model, &VariablesModel::refreshed);

        eval(u"app.count = 3"_s);
        QVERIFY(refreshed.wait(5000));
        QCOMPARE(value(model, 3, Role::ValueRole).toString(), u"3"_s);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), rowOf(model, 3));
        QCOMPARE(changed.at(0).at(1).toModelIndex().row(), rowOf(model, 3));

        page->sendMessages({ ProtocolClient::create(5, 1, u"items"_s) });
        QTRY_COMPARE(ids(model), (QList<qint64> { 1, 2, 3, 4, 5 }));
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.at(0).at(1).toInt(), 4);
        QCOMPARE(inserted.at(0).at(2).toInt(), 4);

        page->close();
        QTRY_COMPARE(ids(model), QList<qint64> { 1 });
        QCOMPARE(removed.count(), 1); // one run: rows 1–4
        QCOMPARE(removed.at(0).at(1).toInt(), 1);
        QCOMPARE(removed.at(0).at(2).toInt(), 4);
        QCOMPARE(reset.count(), 0);

        // The session ends: the model empties.
        m_server->sessions().destroySession(m_session);
        QTRY_COMPARE(model.rowCount(), 0);
        QCOMPARE(model.count(), 0);
    }

    // ≤ 10 Hz by default: Lua changes a watched value every 5 ms, the model applies at most one
    // snapshot per interval.
    void snapshotsAreThrottled()
    {
        VariablesModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        attach(model);
        ProtocolClient page(*m_server, m_session);
        QVERIFY(page.open());
        page.sendMessages({ ProtocolClient::watch(1), ProtocolClient::create(2, 1, u"count"_s) });
        QVERIFY(!page.waitForMessage(isUpdateOf(2)).isEmpty());
        eval(u"session:setInterval(function() app.count = app.count + 1 end, 5)"_s);
        QTRY_VERIFY(value(model, 2, Role::ValueRole).toInt() > 0);

        const auto countOver = [&](int windowMs) {
            QSignalSpy refreshed(&model, &VariablesModel::refreshed);
            QElapsedTimer window;
            window.start();
            if (!QTest::qWaitFor([&] { return window.elapsed() >= windowMs; }, windowMs * 2))
                return -1;
            return static_cast<int>(refreshed.count());
        };
        const int atDefault = countOver(1000);
        QVERIFY2(atDefault <= 11, qPrintable(QString::number(atDefault)));
        QVERIFY2(atDefault >= 2, qPrintable(QString::number(atDefault))); // and it is live
        model.setInterval(250);
        const int atQuarterSecond = countOver(1000);
        QVERIFY2(atQuarterSecond <= 5, qPrintable(QString::number(atQuarterSecond)));
        QVERIFY2(atQuarterSecond >= 1, qPrintable(QString::number(atQuarterSecond)));
    }

    // A turn that never ends: the GUI thread keeps running, the model's request waits on the
    // executor; after Stop script the model catches up with what happened meanwhile.
    void runawayLuaDoesNotFreezeTheGui()
    {
        VariablesModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        attach(model);
        ProtocolClient page(*m_server, m_session);
        QVERIFY(page.open());
        page.sendMessages({ ProtocolClient::watch(1), ProtocolClient::create(2, 1, u"count"_s) });
        QVERIFY(!page.waitForMessage(isUpdateOf(2)).isEmpty());
        QTRY_COMPARE(ids(model), (QList<qint64> { 1, 2 }));

        std::atomic<bool> entered { false };
        std::atomic<bool> left { false };
        m_server->sessions().withSession(m_session, [&](lunette::Session* s) {
            entered = true;
            lunette::evaluateInConsole(*s, u"while true do end"_s);
            left = true;
        });
        QTRY_VERIFY(entered);
        page.sendMessages({ ProtocolClient::update(2, 42) }); // waits behind the loop

        QSignalSpy refreshed(&model, &VariablesModel::refreshed);
        int ticks = 0;
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, this, [&] { ++ticks; });
        ticker.start(10);
        QTRY_VERIFY(ticks >= 30); // ~300 ms of a live GUI thread, several poll intervals
        QVERIFY(!left);
        QCOMPARE(refreshed.count(), 0);
        QCOMPARE(value(model, 2, Role::ValueRole).toString(), u"0"_s);
        model.refresh(); // returns at once

        m_server->executor().requestStop();
        QTRY_VERIFY(left);
        QTRY_COMPARE(value(model, 2, Role::ValueRole).toString(), u"42"_s);
    }

    void detaching()
    {
        VariablesModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        attach(model);
        QCOMPARE(model.rowCount(), 1);
        model.setSessionId({});
        QCOMPARE(model.rowCount(), 0);
        model.setSessionId(m_session);
        QTRY_COMPARE(model.rowCount(), 1);
        model.setSessions(nullptr);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.sessionId(), m_session);
        // A session that does not exist: empty, and said once.
        QSignalSpy refreshed(&model, &VariablesModel::refreshed);
        model.setSessionId(u"0123456789abcdef0123456789abcdef"_s);
        model.setSessions(&m_server->sessions());
        QVERIFY(refreshed.wait(5000));
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_MAIN(TestVariablesModel)
#include "test_variablesmodel.moc"

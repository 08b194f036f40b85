// SessionsModel (the Sessions dock's data, GUI.md "Sessions"): real sessions of the protocol
// fixture site (tests/data/sites/protocol) created over HTTP and visited by a real WebSocket
// client, under QAbstractItemModelTester through every update.

#include <atomic>

#include <QAbstractItemModelTester>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include "SessionsModel.h"
#include "session/Console.h"
#include "session/Session.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using lunette::test::ProtocolClient;
using lunette::test::ServerFixture;
using Role = SessionsModel::Role;

class TestSessionsModel final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServerFixture> m_server;

    static QStringList ids(const SessionsModel& model)
    {
        QStringList result;
        for (int row = 0; row < model.rowCount(); ++row)
            result.append(model.index(row).data(Role::SessionIdRole).toString());
        return result;
    }
    static QVariant data(const SessionsModel& model, const QString& id, Role role)
    {
        const int row = static_cast<int>(ids(model).indexOf(id));
        return row < 0 ? QVariant() : model.index(row).data(role);
    }

private slots:
    void init()
    {
        lunette::SessionManager::Options options;
        options.session.lua.timeout = 0ms; // only requestStop ends a turn
        m_server = std::make_unique<ServerFixture>(
            lunette::test::sourceDir() + u"/tests/data/sites/protocol"_s, options);
        QVERIFY2(m_server->start(), qPrintable(m_server->error()));
    }

    void cleanup()
    {
        m_server->executor().requestStop(); // a runaway turn of a failed test
        m_server.reset();
    }

    void texts()
    {
        QCOMPARE(SessionsModel::ageText(0s), u"0s"_s);
        QCOMPARE(SessionsModel::ageText(42s), u"42s"_s);
        QCOMPARE(SessionsModel::ageText(3min + 5s), u"3m 05s"_s);
        QCOMPARE(SessionsModel::ageText(1h + 2min + 59s), u"1h 02m"_s);
        QCOMPARE(SessionsModel::ageText(51h), u"2d 03h"_s);
        QCOMPARE(SessionsModel::lastActivityText(0s), u"just now"_s);
        QCOMPARE(SessionsModel::lastActivityText(1900ms), u"just now"_s);
        QCOMPARE(SessionsModel::lastActivityText(12s), u"12s ago"_s);
        QCOMPARE(SessionsModel::lastActivityText(5min + 30s), u"5m ago"_s);
        QCOMPARE(SessionsModel::lastActivityText(3h), u"3h ago"_s);
    }

    void rowsFollowTheSessions()
    {
        SessionsModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.roleNames().value(Role::LastActivityRole), QByteArray("lastActivity"));
        QSignalSpy refreshed(&model, &SessionsModel::refreshed);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy countChanged(&model, &SessionsModel::countChanged);
        model.setSessions(&m_server->sessions());
        QVERIFY(refreshed.wait(5000));
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.selectedSessionId(), QString());

        const QString a = m_server->createSession();
        QVERIFY(!a.isEmpty());
        model.refresh();
        QTRY_COMPARE(ids(model), QStringList { a });
        QCOMPARE(model.count(), 1);
        QCOMPARE(countChanged.count(), 1);
        QCOMPARE(data(model, a, Role::ShortIdRole).toString(), a.left(8));
        QCOMPARE(data(model, a, Role::ShortIdRole).toString().size(), 8);
        QCOMPARE(data(model, a, Role::ConnectionsRole).toInt(), 0);
        QCOMPARE(data(model, a, Role::VariableCountRole).toInt(), 1); // the app variable
        QVERIFY(QRegularExpression(u"^\\d+s$"_s)
                    .match(data(model, a, Role::AgeRole).toString())
                    .hasMatch());
        QCOMPARE(data(model, a, Role::LastActivityRole).toString(), u"just now"_s);
        // The only session is selected.
        QCOMPARE(model.selectedSessionId(), a);
        QCOMPARE(data(model, a, Role::SelectedRole).toBool(), true);

        // A second one is listed after it; the selection stays.
        const QString b = m_server->createSession();
        model.refresh();
        QTRY_COMPARE(ids(model), (QStringList { a, b }));
        QCOMPARE(model.selectedSessionId(), a);
        QCOMPARE(data(model, b, Role::SelectedRole).toBool(), false);

        // A page on b: a connection and its variables.
        ProtocolClient page(*m_server, b);
        QVERIFY(page.open());
        page.sendMessages({ ProtocolClient::watch(1), ProtocolClient::create(2, 1, u"title"_s),
            ProtocolClient::create(3, 1, u"count"_s) });
        QTRY_COMPARE(data(model, b, Role::ConnectionsRole).toInt(), 1);
        QTRY_COMPARE(data(model, b, Role::VariableCountRole).toInt(), 3);
        QCOMPARE(data(model, a, Role::VariableCountRole).toInt(), 1);
        page.close();
        QTRY_COMPARE(data(model, b, Role::ConnectionsRole).toInt(), 0);
        QTRY_COMPARE(data(model, b, Role::VariableCountRole).toInt(), 1);

        // Closing the selected session selects the newest.
        model.closeSession(a);
        QTRY_COMPARE(ids(model), QStringList { b });
        QCOMPARE(model.selectedSessionId(), b);
        QCOMPARE(data(model, b, Role::SelectedRole).toBool(), true);

        const QString c = m_server->createSession();
        model.refresh();
        QTRY_COMPARE(ids(model), (QStringList { b, c }));
        QCOMPARE(model.selectedSessionId(), b);
        QSignalSpy selectionChanged(&model, &SessionsModel::selectedSessionIdChanged);
        model.select(c);
        QCOMPARE(selectionChanged.count(), 1);
        QCOMPARE(model.selectedSessionId(), c);
        QCOMPARE(data(model, c, Role::SelectedRole).toBool(), true);
        QCOMPARE(data(model, b, Role::SelectedRole).toBool(), false);

        // The selected session ends elsewhere (idle, or the engine): the newest left is selected.
        m_server->sessions().destroySession(c);
        QTRY_COMPARE(ids(model), QStringList { b });
        QCOMPARE(model.selectedSessionId(), b);

        // An id that is not a session does not stay selected.
        model.select(u"0123456789abcdef0123456789abcdef"_s);
        QTRY_COMPARE(model.selectedSessionId(), b);

        // The last one goes: nothing to select.
        model.closeSession(b);
        QTRY_COMPARE(model.rowCount(), 0);
        QCOMPARE(model.selectedSessionId(), QString());
        QCOMPARE(reset.count(), 0); // rows were inserted and removed, never reset
    }

    void agesAdvance()
    {
        SessionsModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QString a = m_server->createSession();
        model.setSessions(&m_server->sessions());
        QTRY_COMPARE(ids(model), QStringList { a });
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        // Polled every 500 ms: the age text moves on by itself.
        const QString first = data(model, a, Role::AgeRole).toString();
        QTRY_VERIFY_WITH_TIMEOUT(data(model, a, Role::AgeRole).toString() != first, 5000);
        QVERIFY(QRegularExpression(u"^[1-9]\\d*s$"_s)
                    .match(data(model, a, Role::AgeRole).toString())
                    .hasMatch());
        QVERIFY(changed.count() >= 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 0);
    }

    void actionsAreForwarded()
    {
        SessionsModel model;
        QSignalSpy restart(&model, &SessionsModel::restartRequested);
        QSignalSpy open(&model, &SessionsModel::openInBrowserRequested);
        model.restartSession(u"abc"_s);
        model.openInBrowser(u"def"_s);
        QCOMPARE(restart.count(), 1);
        QCOMPARE(restart.at(0).at(0).toString(), u"abc"_s);
        QCOMPARE(open.count(), 1);
        QCOMPARE(open.at(0).at(0).toString(), u"def"_s);
    }

    void detachingEmpties()
    {
        SessionsModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QString a = m_server->createSession();
        model.setSessions(&m_server->sessions());
        QTRY_COMPARE(model.rowCount(), 1);
        model.setSessions(nullptr);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.selectedSessionId(), QString());
        model.refresh(); // nothing to ask
        model.setSessions(&m_server->sessions());
        QTRY_COMPARE(ids(model), QStringList { a });
    }

    // A turn that never ends: the GUI thread keeps running while the model's request waits on
    // the executor; after Stop script the list catches up.
    void runawayLuaDoesNotFreezeTheGui()
    {
        SessionsModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QString a = m_server->createSession();
        model.setSessions(&m_server->sessions());
        QTRY_COMPARE(ids(model), QStringList { a });

        std::atomic<bool> entered { false };
        std::atomic<bool> left { false };
        m_server->sessions().withSession(a, [&](lunette::Session* s) {
            entered = true;
            lunette::evaluateInConsole(*s, u"while true do end"_s);
            left = true;
        });
        QTRY_VERIFY(entered);
        m_server->sessions().destroySession(a); // queued behind the loop

        QSignalSpy refreshed(&model, &SessionsModel::refreshed);
        int ticks = 0;
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, this, [&] { ++ticks; });
        ticker.start(10);
        QTRY_VERIFY(ticks >= 120); // > 1 s of a live GUI thread: two poll intervals
        QVERIFY(!left);
        QCOMPARE(refreshed.count(), 0);
        QCOMPARE(ids(model), QStringList { a });
        model.refresh(); // returns at once

        m_server->executor().requestStop();
        QTRY_VERIFY(left);
        QTRY_COMPARE(model.rowCount(), 0);
    }
};

QTEST_MAIN(TestSessionsModel)
#include "test_sessionsmodel.moc"

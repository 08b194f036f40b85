// ConsoleModel (the Console dock's data, GUI.md "Console"): a real session of the protocol fixture
// site (tests/data/sites/protocol), lua.c semantics through the model's transcript, queued
// submissions, history persisted in a temporary settings file, completion — under
// QAbstractItemModelTester.

#include <atomic>

#include <QAbstractItemModelTester>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "ConsoleModel.h"
#include "support/ServerFixture.h"
#include "support/TestSupport.h"

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using lunette::test::ServerFixture;
using Role = ConsoleModel::Role;

namespace {

struct Entry
{
    QString kind;
    QString text;
    bool operator==(const Entry&) const = default;
};

char* toString(const Entry& e)
{
    return QTest::toString(e.kind + u": "_s + e.text);
}

} // namespace

class TestConsoleModel final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ServerFixture> m_server;
    QString m_session;
    QTemporaryDir m_settingsDir;
    int m_settingsCount = 0;

    // A fresh history file for each model that does not share one.
    QString settingsFile()
    {
        return m_settingsDir.filePath(u"console-%1.ini"_s.arg(++m_settingsCount));
    }

    static QList<Entry> entries(const ConsoleModel& model)
    {
        QList<Entry> result;
        for (int row = 0; row < model.rowCount(); ++row) {
            const QModelIndex i = model.index(row);
            result.append({ i.data(Role::KindRole).toString(), i.data(Role::TextRole).toString() });
        }
        return result;
    }

    void attach(ConsoleModel& model)
    {
        model.setSessions(&m_server->sessions());
        model.setSessionId(m_session);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_settingsDir.isValid());
        // Belt and braces: nothing here may reach the user's real settings.
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    }

    void init()
    {
        lunette::SessionManager::Options options;
        options.session.lua.timeout = 0ms; // only requestStop ends a turn
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

    void expressionsShowTheirValue()
    {
        ConsoleModel model(nullptr, settingsFile());
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.roleNames().value(Role::TracebackRole), QByteArray("traceback"));
        attach(model);
        QCOMPARE(model.prompt(), u"> "_s);
        QSignalSpy busy(&model, &ConsoleModel::busyChanged);
        model.submit(u"1+1"_s);
        QVERIFY(model.busy());
        QTRY_VERIFY(!model.busy());
        QCOMPARE(busy.count(), 2);
        QCOMPARE(
            entries(model), (QList<Entry> { { u"input"_s, u"> 1+1"_s }, { u"result"_s, u"2"_s } }));
        QCOMPARE(model.count(), 2);

        model.submit(u"app.title, nil"_s);
        QTRY_COMPARE(model.count(), 4);
        QCOMPARE(entries(model).last(), (Entry { u"result"_s, u"Protocol\tnil"_s }));
        model.submit(u"x = 5"_s); // a statement: no result
        model.submit(u"x * 2"_s);
        QTRY_COMPARE(model.count(), 7);
        QCOMPARE(entries(model).mid(4),
            (QList<Entry> { { u"input"_s, u"> x = 5"_s }, { u"input"_s, u"> x * 2"_s },
                { u"result"_s, u"10"_s } }));

        model.clear();
        QCOMPARE(model.count(), 0);
    }

    // Input that waits (time.sleep) keeps the console busy; its output so far shows at once, its
    // result when it is done; the next line runs after it.
    void waitingInputShowsItsResultLater()
    {
        ConsoleModel model(nullptr, settingsFile());
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        attach(model);
        model.submit(u"print('started'); require('time').sleep(400); return 'slept'"_s);
        model.submit(u"1 + 2"_s);
        QTRY_VERIFY(entries(model).contains(Entry { u"output"_s, u"started"_s }));
        QVERIFY(model.busy());
        QTRY_VERIFY(!model.busy());
        QCOMPARE(entries(model),
            (QList<Entry> {
                { u"input"_s, u"> print('started'); require('time').sleep(400); return 'slept'"_s },
                { u"output"_s, u"started"_s }, { u"result"_s, u"slept"_s },
                { u"input"_s, u"> 1 + 2"_s }, { u"result"_s, u"3"_s } }));
    }

    void incompleteInputContinues()
    {
        ConsoleModel model(nullptr, settingsFile());
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        attach(model);
        QSignalSpy continuing(&model, &ConsoleModel::continuingChanged);
        model.submit(u"for i=1,3 do"_s);
        QTRY_VERIFY(model.continuing());
        QTRY_VERIFY(!model.busy());
        QCOMPARE(model.prompt(), u">> "_s);
        QCOMPARE(continuing.count(), 1);
        model.submit(u"print(i) end"_s);
        QTRY_VERIFY(!model.busy());
        QVERIFY(!model.continuing());
        QCOMPARE(model.prompt(), u"> "_s);
        QCOMPARE(entries(model),
            (QList<Entry> { { u"input"_s, u"> for i=1,3 do"_s },
                { u"input"_s, u">> print(i) end"_s }, { u"output"_s, u"1"_s },
                { u"output"_s, u"2"_s }, { u"output"_s, u"3"_s } }));
        // One history entry for the whole statement.
        QCOMPARE(model.history(), QStringList { u"for i=1,3 do\nprint(i) end"_s });

        // A continuation can be dropped.
        model.submit(u"function f("_s);
        QTRY_VERIFY(model.continuing());
        model.cancelContinuation();
        QVERIFY(!model.continuing());
        QCOMPARE(model.prompt(), u"> "_s);
        model.submit(u"2*3"_s);
        QTRY_COMPARE(entries(model).last(), (Entry { u"result"_s, u"6"_s }));
    }

    void errorsComeWithTraceback()
    {
        ConsoleModel model(nullptr, settingsFile());
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        attach(model);
        model.submit(u"error(\"x\")"_s);
        QTRY_COMPARE(model.count(), 2);
        const QModelIndex error = model.index(1);
        QCOMPARE(error.data(Role::KindRole).toString(), u"error"_s);
        QVERIFY2(error.data(Role::TextRole).toString().contains(u"console:1: x"_s),
            qPrintable(error.data(Role::TextRole).toString()));
        const QString traceback = error.data(Role::TracebackRole).toString();
        QVERIFY2(traceback.startsWith(u"stack traceback:"_s), qPrintable(traceback));
        QVERIFY2(traceback.contains(u"in function 'error'"_s), qPrintable(traceback));
        QCOMPARE(model.index(0).data(Role::TracebackRole).toString(), QString());

        // print output before the error is kept, in order.
        model.submit(u"print('before') error('after')"_s);
        QTRY_COMPARE(model.count(), 5);
        QCOMPARE(entries(model).at(3), (Entry { u"output"_s, u"before"_s }));
        QCOMPARE(entries(model).at(4).kind, u"error"_s);
    }

    void withoutASession()
    {
        ConsoleModel model(nullptr, settingsFile());
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.submit(u"1"_s);
        QCOMPARE(entries(model),
            (QList<Entry> {
                { u"input"_s, u"> 1"_s }, { u"error"_s, u"No session: open the site first"_s } }));
        QVERIFY(!model.busy());
        QSignalSpy completed(&model, &ConsoleModel::completed);
        model.complete(u"ses"_s);
        QCOMPARE(completed.count(), 0); // asynchronous, even with nothing to ask
        QVERIFY(completed.wait(5000));
        QCOMPARE(completed.at(0).at(1).toStringList(), QStringList());
        QCOMPARE(completed.at(0).at(2).toString(), u"ses"_s);

        attach(model);
        m_server->sessions().destroySession(m_session);
        QTRY_VERIFY(!m_server->sessions().hasSession(m_session));
        model.submit(u"2"_s);
        QTRY_COMPARE(model.count(), 4);
        QCOMPARE(entries(model).last(), (Entry { u"error"_s, u"The session has ended"_s }));
    }

    // Lines submitted while one runs wait their turn, in order; a runaway turn leaves the GUI
    // thread free and Stop script lets the queue go on.
    void submissionsQueueBehindARunawayTurn()
    {
        ConsoleModel model(nullptr, settingsFile());
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        attach(model);
        model.submit(u"n = 1"_s);
        model.submit(u"while true do end"_s);
        model.submit(u"n = n + 1"_s);
        model.submit(u"n * 10"_s);
        QVERIFY(model.busy());
        QTRY_COMPARE(model.count(), 2); // the loop's input is shown, the rest waits

        int ticks = 0;
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, this, [&] { ++ticks; });
        ticker.start(10);
        QTRY_VERIFY(ticks >= 30);
        QVERIFY(model.busy());
        QCOMPARE(model.count(), 2);

        m_server->executor().requestStop();
        QTRY_VERIFY(!model.busy());
        const QList<Entry> all = entries(model);
        QCOMPARE(all.size(), 6);
        QCOMPARE(all.at(0), (Entry { u"input"_s, u"> n = 1"_s }));
        QCOMPARE(all.at(1), (Entry { u"input"_s, u"> while true do end"_s }));
        QCOMPARE(all.at(2).kind, u"error"_s);
        QVERIFY2(all.at(2).text.contains(u"stopped"_s), qPrintable(all.at(2).text));
        QCOMPARE(all.at(3), (Entry { u"input"_s, u"> n = n + 1"_s }));
        QCOMPARE(all.at(4), (Entry { u"input"_s, u"> n * 10"_s }));
        QCOMPARE(all.at(5), (Entry { u"result"_s, u"20"_s }));
    }

    void historyIsPersisted()
    {
        const QString file = settingsFile();
        {
            ConsoleModel model(nullptr, file);
            attach(model);
            QCOMPARE(model.history(), QStringList());
            for (const QString& line :
                { u"a = 1"_s, u"a = 1"_s, u"for i=1,2 do"_s, u"end"_s, u"a + 1"_s })
                model.submit(line);
            QTRY_VERIFY(!model.busy());
            QCOMPARE(model.count(), 6);
        }
        ConsoleModel model(nullptr, file);
        const QStringList expected { u"a = 1"_s, u"for i=1,2 do\nend"_s, u"a + 1"_s };
        QCOMPARE(model.history(), expected);
        QCOMPARE(QSettings(file, QSettings::IniFormat).value(u"Console/history"_s).toStringList(),
            expected);

        // Up walks back and stops at the oldest; Down comes back to what was being typed.
        QCOMPARE(model.historyUp(u"typ"_s), u"a + 1"_s);
        QCOMPARE(model.historyUp(u"a + 1"_s), u"for i=1,2 do\nend"_s);
        QCOMPARE(model.historyUp(u"x"_s), u"a = 1"_s);
        QCOMPARE(model.historyUp(u"a = 1"_s), u"a = 1"_s);
        QCOMPARE(model.historyDown(u"a = 1"_s), u"for i=1,2 do\nend"_s);
        QCOMPARE(model.historyDown(u""_s), u"a + 1"_s);
        QCOMPARE(model.historyDown(u"a + 1"_s), u"typ"_s);
        QCOMPARE(model.historyDown(u"typ"_s), u"typ"_s);
    }

    void historyIsCapped()
    {
        const QString file = settingsFile();
        ConsoleModel model(nullptr, file); // no session: each line is still remembered
        for (int i = 1; i <= 505; ++i)
            model.submit(u"line %1"_s.arg(i));
        QCOMPARE(model.history().size(), 500);
        QCOMPARE(model.history().first(), u"line 6"_s);
        QCOMPARE(model.history().last(), u"line 505"_s);
        QCOMPARE(ConsoleModel(nullptr, file).history().size(), 500);
    }

    void completion()
    {
        ConsoleModel model(nullptr, settingsFile());
        attach(model);
        model.submit(u"zebraOne = 1; zebraTwo = 2"_s);
        QSignalSpy completed(&model, &ConsoleModel::completed);
        model.complete(u"zeb"_s);
        QVERIFY(completed.wait(5000));
        QCOMPARE(completed.at(0).at(0).toString(), u"zeb"_s);
        QCOMPARE(
            completed.at(0).at(1).toStringList(), (QStringList { u"zebraOne"_s, u"zebraTwo"_s }));
        QCOMPARE(completed.at(0).at(2).toString(), u"zebra"_s);

        model.complete(u"x = string.upp"_s);
        QVERIFY(completed.wait(5000));
        QCOMPARE(completed.at(1).at(1).toStringList(), QStringList { u"x = string.upper"_s });
        QCOMPARE(completed.at(1).at(2).toString(), u"x = string.upper"_s);

        model.complete(u"nothing.here"_s);
        QVERIFY(completed.wait(5000));
        QCOMPARE(completed.at(2).at(1).toStringList(), QStringList());
        QCOMPARE(completed.at(2).at(2).toString(), u"nothing.here"_s);
    }
};

QTEST_MAIN(TestConsoleModel)
#include "test_consolemodel.moc"

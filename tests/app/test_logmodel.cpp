// LogModel / LogFilterModel (the Log dock's data, GUI.md): appending, capping, Lua positions,
// posting from another thread, filtering by level and text — under QAbstractItemModelTester.

#include <thread>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include "LogModel.h"

using namespace Qt::StringLiterals;
using Level = LogModel::Level;

class TestLogModel final : public QObject
{
    Q_OBJECT

private slots:
    void appendsWithLuaPositions()
    {
        LogModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.append(Level::Info, u"session 1"_s, u"Adder initialized"_s);
        model.append(
            Level::Error, u"hot reload"_s, u"lua/contact.lua:45: <eof> expected near 'function'"_s);
        model.append(Level::Error, u"session 2"_s,
            u"update of variable 3 failed: apps/tasks/app.lua:7: boom"_s);
        QCOMPARE(model.rowCount(), 3);
        const QModelIndex first = model.index(0);
        QCOMPARE(first.data(Qt::DisplayRole).toString(), u"[session 1] Adder initialized"_s);
        QCOMPARE(first.data(LogModel::FileRole).toString(), QString());
        QCOMPARE(first.data(LogModel::LineRole).toInt(), 0);
        QCOMPARE(model.index(1).data(LogModel::FileRole).toString(), u"lua/contact.lua"_s);
        QCOMPARE(model.index(1).data(LogModel::LineRole).toInt(), 45);
        QCOMPARE(model.index(2).data(LogModel::FileRole).toString(), u"apps/tasks/app.lua"_s);
        QCOMPARE(model.index(2).data(LogModel::LineRole).toInt(), 7);
        QCOMPARE(model.index(2).data(LogModel::LevelRole).toInt(), int(Level::Error));
        QVERIFY(model.roleNames().value(LogModel::FileRole) == "file");
    }

    void positionsAreNotGuessed()
    {
        QString file;
        int line = 0;
        QVERIFY(!LogModel::findLuaPosition(u"costs 12:30"_s, &file, &line));
        QVERIFY(!LogModel::findLuaPosition(u"main.luac:3: x"_s, &file, &line));
        QVERIFY(LogModel::findLuaPosition(u"[string] main.lua:3: x"_s, &file, &line));
        QCOMPARE(file, u"main.lua"_s);
        QCOMPARE(line, 3);
    }

    // Full: the oldest tenth goes at once.
    void capacityDropsTheOldest()
    {
        LogModel model(nullptr, 20);
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (int i = 0; i < 25; ++i)
            model.append(Level::Info, {}, u"line %1"_s.arg(i));
        QVERIFY(model.rowCount() <= 20);
        QCOMPARE(
            model.index(model.rowCount() - 1).data(LogModel::TextRole).toString(), u"line 24"_s);
        QCOMPARE(model.index(0).data(LogModel::TextRole).toString(),
            u"line %1"_s.arg(25 - model.rowCount()));
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    // The executor logs from its own thread: lines arrive on the model's thread, in order.
    void postFromAnotherThread()
    {
        LogModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        std::thread worker([&] {
            for (int i = 0; i < 100; ++i)
                model.post(Level::Debug, u"session 1"_s, u"tick %1"_s.arg(i));
        });
        worker.join();
        QTRY_COMPARE(model.rowCount(), 100);
        QCOMPARE(model.index(99).data(LogModel::TextRole).toString(), u"tick 99"_s);
    }

    void filterByLevelAndText()
    {
        LogModel model;
        LogFilterModel filter;
        filter.setSourceModel(&model);
        QAbstractItemModelTester tester(
            &filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.append(Level::Debug, u"session 1"_s, u"tick"_s);
        model.append(Level::Info, u"session 1"_s, u"Contacts seeded"_s);
        model.append(Level::Warning, u"engine"_s, u"slow turn"_s);
        model.append(Level::Error, u"hot reload"_s, u"lua/contact.lua:3: boom"_s);
        QCOMPARE(filter.rowCount(), 4);
        QSignalSpy changed(&filter, &LogFilterModel::filterChanged);
        filter.setMinimumLevel(int(Level::Warning));
        QCOMPARE(filter.rowCount(), 2);
        QCOMPARE(changed.size(), 1);
        filter.setMinimumLevel(int(Level::Debug));
        filter.setSearch(u"CONTACT"_s); // text, any case
        QCOMPARE(filter.rowCount(), 2);
        filter.setSearch(u"hot"_s); // source too
        QCOMPARE(filter.rowCount(), 1);
        QCOMPARE(filter.index(0, 0).data(LogModel::LineRole).toInt(), 3);
        filter.setSearch({});
        QCOMPARE(filter.rowCount(), 4);
    }

    // activate() takes a row of the filter (what the dock shows), not of the source.
    void activateEmitsTheLinesPosition()
    {
        LogModel model;
        LogFilterModel filter;
        filter.setSourceModel(&model);
        model.append(Level::Info, u"session 1"_s, u"Contacts seeded"_s);
        model.append(Level::Error, u"session 1"_s, u"apps/tasks/app.lua:7: boom"_s);
        model.append(Level::Error, u"hot reload"_s, u"lua/contact.lua:45: <eof> expected"_s);
        QSignalSpy activated(&filter, &LogFilterModel::locationActivated);
        filter.activate(0); // no position
        filter.activate(-1);
        filter.activate(3);
        QCOMPARE(activated.size(), 0);
        filter.activate(2);
        QCOMPARE(activated.size(), 1);
        QCOMPARE(activated.at(0).at(0).toString(), u"lua/contact.lua"_s);
        QCOMPARE(activated.at(0).at(1).toInt(), 45);
        filter.setSearch(u"hot"_s);
        filter.activate(0);
        QCOMPARE(activated.size(), 2);
        QCOMPARE(activated.at(1).at(0).toString(), u"lua/contact.lua"_s);
        filter.setSearch(u"tasks"_s);
        filter.activate(0);
        QCOMPARE(activated.size(), 3);
        QCOMPARE(activated.at(2).at(0).toString(), u"apps/tasks/app.lua"_s);
        QCOMPARE(activated.at(2).at(1).toInt(), 7);
    }
};

QTEST_GUILESS_MAIN(TestLogModel)
#include "test_logmodel.moc"

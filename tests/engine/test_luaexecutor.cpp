#include <QtTest>

#include <atomic>
#include <chrono>
#include <memory>
#include <semaphore>
#include <thread>
#include <vector>

#include <QMutex>
#include <QThread>
#include <QTimer>

#include "lua/LuaExecutor.h"

using namespace lunette;

class TestLuaExecutor final : public QObject
{
    Q_OBJECT

private slots:
    void postRunsOnTheExecutorThread();
    void executeReturnsTheResult();
    void executeReturnsMoveOnlyResults();
    void executeBlocksUntilDone();
    void executeOnTheExecutorThreadRunsInline();
    void executeRethrowsExceptions();
    void fifoOrderFromOneThread();
    void fifoOrderUnderLoadFromSeveralThreads();
    void globalArrivalOrderIsKept();
    void throwingClosureDoesNotStopTheQueue();
    void eventLoopIsNotStarvedByReposting();
    void stopFlagIsClearedBeforeEachClosure();
    void shutdownRunsPendingWork();
    void postAfterShutdownIsRefused();
};

void TestLuaExecutor::postRunsOnTheExecutorThread()
{
    LuaExecutor executor;
    std::binary_semaphore done {0};
    QThread* ranOn = nullptr;
    LuaExecutor* current = nullptr;
    QVERIFY(executor.post([&] {
        ranOn = QThread::currentThread();
        current = LuaExecutor::current();
        done.release();
    }));
    QVERIFY(done.try_acquire_for(std::chrono::seconds(5)));
    QCOMPARE(ranOn, executor.thread());
    QVERIFY(ranOn != QThread::currentThread());
    QCOMPARE(current, &executor);
    QVERIFY(!executor.isCurrentThread());
    QCOMPARE(LuaExecutor::current(), nullptr);
    QCOMPARE(executor.context()->thread(), executor.thread());
}

void TestLuaExecutor::executeReturnsTheResult()
{
    LuaExecutor executor;
    QCOMPARE(executor.execute([] { return 42; }), 42);
    const QString text = executor.execute([] { return QStringLiteral("from executor"); });
    QCOMPARE(text, QStringLiteral("from executor"));
    bool ran = false;
    executor.execute([&] { ran = true; });
    QVERIFY(ran);
}

void TestLuaExecutor::executeReturnsMoveOnlyResults()
{
    LuaExecutor executor;
    auto value = executor.execute([] { return std::make_unique<int>(7); });
    QVERIFY(value);
    QCOMPARE(*value, 7);
}

void TestLuaExecutor::executeBlocksUntilDone()
{
    LuaExecutor executor;
    std::atomic<bool> finished {false};
    executor.execute([&] {
        // Simulated work: the caller must not get control back before it ends.
        QThread::msleep(100);
        finished = true;
    });
    QVERIFY(finished.load());

    // Work queued earlier runs first: execute waits behind it.
    std::atomic<int> earlier {0};
    for (int i = 0; i < 100; ++i)
        executor.post([&] { earlier.fetch_add(1); });
    const int seen = executor.execute([&] { return earlier.load(); });
    QCOMPARE(seen, 100);
}

void TestLuaExecutor::executeOnTheExecutorThreadRunsInline()
{
    LuaExecutor executor;
    std::vector<int> order;
    executor.execute([&] {
        order.push_back(1);
        // Would deadlock if it queued and waited.
        const int inner = executor.execute([&] {
            order.push_back(2);
            return 5;
        });
        order.push_back(inner);
    });
    QCOMPARE(order, (std::vector<int> {1, 2, 5}));
}

void TestLuaExecutor::executeRethrowsExceptions()
{
    LuaExecutor executor;
    QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                             executor.execute([]() -> int { throw std::runtime_error("boom"); }));
    // The executor keeps working.
    QCOMPARE(executor.execute([] { return 1; }), 1);
}

void TestLuaExecutor::fifoOrderFromOneThread()
{
    LuaExecutor executor;
    std::vector<int> seen;
    constexpr int kCount = 20000;
    for (int i = 0; i < kCount; ++i)
        executor.post([&seen, i] { seen.push_back(i); });
    executor.execute([] { });
    QCOMPARE(int(seen.size()), kCount);
    for (int i = 0; i < kCount; ++i)
        QCOMPARE(seen[size_t(i)], i);
}

void TestLuaExecutor::fifoOrderUnderLoadFromSeveralThreads()
{
    LuaExecutor executor;
    constexpr int kProducers = 4;
    constexpr int kPerProducer = 25000;
    std::vector<std::vector<int>> seen(kProducers);
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
            for (int i = 0; i < kPerProducer; ++i)
                executor.post([&seen, p, i] { seen[size_t(p)].push_back(i); });
        });
    }
    for (auto& t : producers)
        t.join();
    executor.execute([] { });
    for (int p = 0; p < kProducers; ++p) {
        QCOMPARE(int(seen[size_t(p)].size()), kPerProducer);
        for (int i = 0; i < kPerProducer; ++i)
            QCOMPARE(seen[size_t(p)][size_t(i)], i);
    }
}

void TestLuaExecutor::globalArrivalOrderIsKept()
{
    // Producers take a ticket and post under one mutex, so ticket order is arrival order: the
    // executor must run the closures in exactly that order.
    LuaExecutor executor;
    QMutex arrival;
    int nextTicket = 0;
    std::vector<int> seen;
    std::vector<std::thread> producers;
    for (int p = 0; p < 3; ++p) {
        producers.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) {
                QMutexLocker lock(&arrival);
                const int ticket = nextTicket++;
                executor.post([&seen, ticket] { seen.push_back(ticket); });
            }
        });
    }
    for (auto& t : producers)
        t.join();
    executor.execute([] { });
    QCOMPARE(int(seen.size()), 30000);
    for (int i = 0; i < 30000; ++i)
        QCOMPARE(seen[size_t(i)], i);
}

void TestLuaExecutor::throwingClosureDoesNotStopTheQueue()
{
    LuaExecutor executor;
    std::vector<int> seen;
    executor.post([&] { seen.push_back(1); });
    executor.post([] { throw std::runtime_error("closure failed"); });
    executor.post([&] { seen.push_back(3); });
    executor.execute([] { });
    QCOMPARE(seen, (std::vector<int> {1, 3}));
}

void TestLuaExecutor::eventLoopIsNotStarvedByReposting()
{
    LuaExecutor executor;
    std::atomic<bool> timerFired {false};
    std::atomic<bool> keepGoing {true};
    std::atomic<int> reposts {0};
    executor.execute([&] {
        QTimer::singleShot(20, executor.context(), [&] { timerFired = true; });
    });
    std::function<void()> repost = [&] {
        reposts.fetch_add(1);
        if (keepGoing && !timerFired)
            executor.post(repost);
    };
    executor.post(repost);
    QTRY_VERIFY_WITH_TIMEOUT(timerFired.load(), 5000);
    keepGoing = false;
    executor.execute([] { });
    QVERIFY(reposts.load() > 1); // the queue really was busy while the timer fired
}

void TestLuaExecutor::stopFlagIsClearedBeforeEachClosure()
{
    LuaExecutor executor;
    executor.requestStop(); // while idle: must not leak into the next turn
    QCOMPARE(executor.execute([&] { return executor.stopFlag().load(); }), false);
    const bool seenInside = executor.execute([&] {
        executor.requestStop();
        return executor.stopFlag().load();
    });
    QVERIFY(seenInside);
    QCOMPARE(executor.execute([&] { return executor.stopFlag().load(); }), false);
}

void TestLuaExecutor::shutdownRunsPendingWork()
{
    std::atomic<int> count {0};
    {
        LuaExecutor executor;
        executor.post([] { QThread::msleep(50); });
        for (int i = 0; i < 1000; ++i)
            executor.post([&] { count.fetch_add(1); });
        executor.shutdown();
        QCOMPARE(count.load(), 1000);
        QVERIFY(executor.thread()->isFinished());
    }
    QCOMPARE(count.load(), 1000);
}

void TestLuaExecutor::postAfterShutdownIsRefused()
{
    LuaExecutor executor;
    executor.shutdown();
    bool ran = false;
    QVERIFY(!executor.post([&] { ran = true; }));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, executor.execute([] { return 1; }));
    QVERIFY(!ran);
    executor.shutdown(); // idempotent
}

QTEST_GUILESS_MAIN(TestLuaExecutor)
#include "test_luaexecutor.moc"

#pragma once

// LuaExecutor: the one dedicated thread on which every lua_State lives and dies
// (ARCHITECTURE.md "Threads and the executor rule").
//
//  * post(fn)    queues fn and returns at once; closures run in FIFO order, whichever thread
//                posted them (one mutex-protected queue, so the order is the order of arrival).
//  * execute(fn) queues fn and blocks the caller until it has run, returning its result (an
//                exception thrown by fn is rethrown in the caller). Called on the executor thread
//                it runs fn inline, so it can never deadlock.
//
// The thread runs a Qt event loop, so QTimer, QNetworkAccessManager and sockets created with
// context() as parent (or on this thread) deliver their signals here, between closures. Work is
// drained in batches; the event loop gets a turn between batches, so a closure that keeps posting
// cannot starve timers and sockets.

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <semaphore>
#include <stdexcept>
#include <type_traits>

#include <QString>

class QObject;
class QThread;

namespace lunette {

class LuaExecutor final
{
public:
    explicit LuaExecutor(const QString& name = QStringLiteral("lunette-executor"));
    // Runs what is still queued, then stops and joins the thread.
    ~LuaExecutor();

    LuaExecutor(const LuaExecutor&) = delete;
    LuaExecutor& operator=(const LuaExecutor&) = delete;

    // Queue fn. Returns false (and drops fn) once shutdown() has begun.
    bool post(std::function<void()> fn);

    // Run fn on the executor thread and wait for its result. Throws std::runtime_error when the
    // executor has been shut down.
    template <typename F>
    auto execute(F&& fn) -> std::invoke_result_t<F&>;

    // Runs the remaining queue, stops the event loop and joins the thread. Idempotent; must not be
    // called on the executor thread.
    void shutdown();

    bool isCurrentThread() const;
    // The executor whose thread is calling, or nullptr.
    static LuaExecutor* current();

    QThread* thread() const;
    // A QObject living on the executor thread: parent or context object for timers and sockets.
    QObject* context() const;

    // Interrupt whatever Lua call is running on this executor right now ("Stop script").
    // Thread-safe. The flag is cleared before each closure starts, so a stop requested while idle
    // does not hit the next, unrelated turn.
    void requestStop() { m_stop.store(true, std::memory_order_relaxed); }
    const std::atomic<bool>& stopFlag() const { return m_stop; }

    // Number of closures run so far (diagnostics, tests).
    quint64 executedCount() const { return m_executed.load(std::memory_order_relaxed); }

private:
    class Thread;
    class Context;
    struct Queue;
    void drain();
    void finish();
    void wake();

    std::unique_ptr<Queue> m_queue;
    std::unique_ptr<Thread> m_thread;
    Context* m_context = nullptr; // owned by the thread, deleted when it finishes
    std::atomic<bool> m_stop {false};
    std::atomic<quint64> m_executed {0};
};

template <typename F>
auto LuaExecutor::execute(F&& fn) -> std::invoke_result_t<F&>
{
    using R = std::invoke_result_t<F&>;
    if (isCurrentThread())
        return fn();

    // std::binary_semaphore rather than QSemaphore: its atomics are visible to ThreadSanitizer, so
    // the hand-over of the result is checked too.
    using Stored = std::conditional_t<std::is_void_v<R>, bool, R>;
    std::optional<Stored> result;
    std::exception_ptr error;
    std::binary_semaphore done {0};
    const bool queued = post([&] {
        try {
            if constexpr (std::is_void_v<R>) {
                fn();
                result.emplace(true);
            } else {
                result.emplace(fn());
            }
        } catch (...) {
            // Only C++ exceptions of fn itself: outside a protected call Lua never throws.
            error = std::current_exception();
        }
        done.release();
    });
    if (!queued)
        throw std::runtime_error("LuaExecutor::execute: the executor has been shut down");
    done.acquire();
    if (error)
        std::rethrow_exception(error);
    if constexpr (!std::is_void_v<R>)
        return std::move(*result);
}

} // namespace lunette

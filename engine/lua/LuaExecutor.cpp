#include "LuaExecutor.h"

#include <deque>
#include <mutex>
#include <semaphore>
#include <utility>

#include <QLoggingCategory>
#include <QMetaMethod>
#include <QObject>
#include <QThread>

Q_LOGGING_CATEGORY(lcExecutor, "lunette.executor")

namespace lunette {

namespace {
thread_local LuaExecutor* t_current = nullptr;
} // namespace

// The queue is guarded by a std::mutex (pthread-based) rather than a QMutex (futex-based) so that
// ThreadSanitizer sees the hand-over of every closure from its producer to the executor.
struct LuaExecutor::Queue
{
    std::mutex mutex;
    std::deque<std::function<void()>> items;
    bool wakePending = false; // a drain() call is queued on the thread's event loop
    bool closed = false;
};

class LuaExecutor::Thread final : public QThread
{
public:
    explicit Thread(LuaExecutor* owner) : m_owner(owner) { }

    // Blocks until run() has begun: the thread's event dispatcher (and its wake-up descriptor)
    // exists by then, and the semaphore publishes it to the constructing thread in a way
    // ThreadSanitizer can see.
    void waitUntilRunning() { m_running.acquire(); }
    // After QThread::wait(): makes everything run() did visible to ThreadSanitizer as well (Qt's
    // own join goes through a futex it cannot see).
    void waitUntilDone() { m_done.acquire(); }

protected:
    void run() override
    {
        t_current = m_owner;
        m_running.release();
        exec();
        t_current = nullptr;
        m_done.release();
    }

private:
    LuaExecutor* m_owner;
    std::binary_semaphore m_running {0};
    std::binary_semaphore m_done {0};
};

// Lives on the executor thread. Wake-ups are queued meta-calls of its invokables: the event
// object is created and read only inside Qt, and the closures travel through Queue.
class LuaExecutor::Context final : public QObject
{
    Q_OBJECT

public:
    explicit Context(LuaExecutor* owner) : m_owner(owner) { }

    Q_INVOKABLE void drain() { m_owner->drain(); }
    Q_INVOKABLE void finish() { m_owner->finish(); }

    static QMetaMethod invokable(const char* signature)
    {
        return staticMetaObject.method(staticMetaObject.indexOfMethod(signature));
    }

private:
    LuaExecutor* m_owner;
};

LuaExecutor::LuaExecutor(const QString& name)
    : m_queue(std::make_unique<Queue>())
    , m_thread(std::make_unique<Thread>(this))
{
    m_thread->setObjectName(name);
    m_context = new Context(this);
    m_context->setObjectName(name + QStringLiteral("-context"));
    m_context->moveToThread(m_thread.get());
    QObject::connect(m_thread.get(), &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();
    m_thread->waitUntilRunning();
}

LuaExecutor::~LuaExecutor()
{
    shutdown();
}

void LuaExecutor::wake()
{
    static const QMetaMethod drainMethod = Context::invokable("drain()");
    drainMethod.invoke(m_context, Qt::QueuedConnection);
}

bool LuaExecutor::post(std::function<void()> fn)
{
    bool needWake = false;
    {
        std::lock_guard lock(m_queue->mutex);
        if (m_queue->closed)
            return false;
        m_queue->items.push_back(std::move(fn));
        if (!m_queue->wakePending) {
            m_queue->wakePending = true;
            needWake = true;
        }
    }
    if (needWake)
        wake();
    return true;
}

// Runs one batch (everything queued when it starts), then gives the event loop a turn before the
// next batch so timers and sockets on this thread are never starved.
void LuaExecutor::drain()
{
    std::deque<std::function<void()>> batch;
    {
        std::lock_guard lock(m_queue->mutex);
        batch.swap(m_queue->items);
    }
    for (auto& fn : batch) {
        m_stop.store(false, std::memory_order_relaxed);
        try {
            fn();
        } catch (const std::exception& e) {
            qCCritical(lcExecutor, "a closure threw: %s", e.what());
        }
        m_executed.fetch_add(1, std::memory_order_relaxed);
        fn = nullptr; // release what it captured now, in order, on this thread
    }
    bool again = false;
    {
        std::lock_guard lock(m_queue->mutex);
        if (m_queue->items.empty())
            m_queue->wakePending = false;
        else
            again = true;
    }
    if (again)
        wake();
}

// Queued by shutdown() after every pending drain(): run what is left, then leave the event loop.
void LuaExecutor::finish()
{
    for (;;) {
        {
            std::lock_guard lock(m_queue->mutex);
            if (m_queue->items.empty())
                break;
        }
        drain();
    }
    QThread::currentThread()->quit();
}

void LuaExecutor::shutdown()
{
    Q_ASSERT_X(!isCurrentThread(), "LuaExecutor::shutdown", "called on the executor thread");
    {
        std::lock_guard lock(m_queue->mutex);
        if (m_queue->closed)
            return;
        m_queue->closed = true;
    }
    static const QMetaMethod finishMethod = Context::invokable("finish()");
    finishMethod.invoke(m_context, Qt::QueuedConnection);
    m_thread->wait();
    m_thread->waitUntilDone();
}

bool LuaExecutor::isCurrentThread() const
{
    return t_current == this;
}

LuaExecutor* LuaExecutor::current()
{
    return t_current;
}

QThread* LuaExecutor::thread() const
{
    return m_thread.get();
}

QObject* LuaExecutor::context() const
{
    return m_context;
}

} // namespace lunette

#include "LuaExecutor.moc"

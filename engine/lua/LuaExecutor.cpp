#include "LuaExecutor.h"

#include <deque>
#include <utility>
#include <vector>

#include <QLoggingCategory>
#include <QMutex>
#include <QMutexLocker>
#include <QObject>
#include <QThread>

Q_LOGGING_CATEGORY(lcExecutor, "lunette.executor")

namespace lunette {

namespace {
thread_local LuaExecutor* t_current = nullptr;
} // namespace

struct LuaExecutor::Queue
{
    QMutex mutex;
    std::deque<std::function<void()>> items;
    bool wakePending = false; // a drain() call is queued on the thread's event loop
    bool closed = false;
};

class LuaExecutor::Thread final : public QThread
{
public:
    explicit Thread(LuaExecutor* owner) : m_owner(owner) { }

protected:
    void run() override
    {
        t_current = m_owner;
        exec();
        t_current = nullptr;
    }

private:
    LuaExecutor* m_owner;
};

LuaExecutor::LuaExecutor(const QString& name)
    : m_queue(std::make_unique<Queue>())
    , m_thread(std::make_unique<Thread>(this))
{
    m_thread->setObjectName(name);
    m_context = new QObject;
    m_context->setObjectName(name + QStringLiteral("-context"));
    m_context->moveToThread(m_thread.get());
    QObject::connect(m_thread.get(), &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();
}

LuaExecutor::~LuaExecutor()
{
    shutdown();
}

bool LuaExecutor::post(std::function<void()> fn)
{
    bool wake = false;
    {
        QMutexLocker lock(&m_queue->mutex);
        if (m_queue->closed)
            return false;
        m_queue->items.push_back(std::move(fn));
        if (!m_queue->wakePending) {
            m_queue->wakePending = true;
            wake = true;
        }
    }
    if (wake)
        QMetaObject::invokeMethod(m_context, [this] { drain(); }, Qt::QueuedConnection);
    return true;
}

// Runs one batch (everything queued when it starts), then gives the event loop a turn before the
// next batch so timers and sockets on this thread are never starved.
void LuaExecutor::drain()
{
    std::deque<std::function<void()>> batch;
    {
        QMutexLocker lock(&m_queue->mutex);
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
        fn = nullptr; // release captured state on this thread, in order
    }
    bool again = false;
    {
        QMutexLocker lock(&m_queue->mutex);
        if (m_queue->items.empty())
            m_queue->wakePending = false;
        else
            again = true;
    }
    if (again)
        QMetaObject::invokeMethod(m_context, [this] { drain(); }, Qt::QueuedConnection);
}

void LuaExecutor::shutdown()
{
    Q_ASSERT_X(!isCurrentThread(), "LuaExecutor::shutdown", "called on the executor thread");
    {
        QMutexLocker lock(&m_queue->mutex);
        if (m_queue->closed)
            return;
        m_queue->closed = true;
    }
    // Queued after every pending drain(): finish what is left, then leave the event loop.
    QMetaObject::invokeMethod(
        m_context,
        [this] {
            for (;;) {
                {
                    QMutexLocker lock(&m_queue->mutex);
                    if (m_queue->items.empty())
                        break;
                }
                drain();
            }
            QThread::currentThread()->quit();
        },
        Qt::QueuedConnection);
    m_thread->wait();
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

#pragma once

// What the network modules (lua_http, lua_websocket, lua_tcp, lua_udp) share: the per-session
// parent of their Qt objects, the "has the session ended?" check of their userdata, option
// parsing, and the queue of tasks waiting in a socket's receive().
//
// Threading: everything here runs on the executor thread (the thread of the lua_State). Socket
// signals that lead to Lua are connected with Qt::QueuedConnection (or come from socket
// notifiers, or go through later()), so a Resumer or a LuaCallback is never called from inside a
// running Lua call (close() from Lua emits signals synchronously).
//
// Policy: any address may be reached, loopback and private ranges included; the capability gate
// is the "network" permission. No private-IP/SSRF filtering is done yet.

#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QPointer>
#include <QString>
#include <QTimer>

#include "runtime/Async.h"
#include "runtime/Errors.h"

struct lua_State;

namespace lunette {

struct TaskRunnerCore;

namespace net {

// Largest HTTP body, WebSocket message and TCP/UDP receive buffer a module keeps (64 MiB).
constexpr qint64 kMaxBufferBytes = 64 * 1024 * 1024;
// Default connect/request timeout (ms).
constexpr int kDefaultTimeoutMs = 30000;

// The parent of a session's sockets, network manager and timers: one QObject per lua_State,
// made on first use and deleted (signals blocked, children with it) when the state closes.
QObject* context(lua_State* L);

// Whether the session of a userdata still runs: taken when the object is made, tested by every
// method (after the session ended they return nil, err kind "canceled").
class SessionRef
{
public:
    SessionRef() = default;
    explicit SessionRef(lua_State* L);
    bool alive() const;
    // The main lua_State of the session while it is alive, else nullptr.
    lua_State* state() const;

private:
    std::weak_ptr<TaskRunnerCore> m_core;
};

// Keeps a socket's userdata alive from C++ (a registry reference) while handlers listen to it,
// so `ws:on("message", fn)` works without the script keeping the socket.
class Anchor
{
public:
    // Anchor the value at idx (once).  [-0, +0, m]
    void hold(lua_State* L, int idx);
    // Let it go (nothing to do once the session ended: its state closes).
    void release(const SessionRef& session);

private:
    int m_ref = -2; // LUA_NOREF
};

// `nil, err` with kind canceled: "<what>: the session ended".  [-0, +2, m]
int failEnded(lua_State* L, const char* what);

// A ResultPusher returning `nil, err`.
ResultPusher failure(ErrorKind kind, const QString& message);

// The wait of a connect (tcp, websocket): it ends once — with the connection, an error or the
// timeout; fail() drops the connection (which closes its socket) and resumes with the error.
template <typename Connection> struct ConnectWait
{
    std::shared_ptr<Connection> conn;
    Resumer resume { nullptr };
    int timeoutMs = 0;
    bool done = false;

    void fail(ErrorKind kind, const QString& message)
    {
        if (done)
            return;
        done = true;
        auto dropped = std::move(conn);
        resume(failure(kind, message));
    }
};

// Field `name` of the options table at idx (absent or nil: nullopt) as a timeout in ms: a
// positive number; anything else raises a "bad argument" error naming the field.  [-0, +0, v]
std::optional<int> timeoutField(lua_State* L, int idx, const char* name, int arg);
// Argument arg as an optional timeout in ms (nil/none: nullopt), as above.  [-0, +0, v]
std::optional<int> timeoutArg(lua_State* L, int arg);

// Field "headers" of the options table at idx (absent or nil: nothing) appended to headers:
// names and values must be strings (else a "bad argument" error naming arg); a name that is not
// an HTTP token or a value with a line break returns false with *invalid set.  [-0, +0, v]
bool readHeaders(lua_State* L, int idx, int arg, QList<QPair<QByteArray, QByteArray>>& headers,
    QString* invalid);
// An HTTP token (method or header name).
bool isToken(QByteArrayView text);

// Run fn on the executor in a later event-loop pass, unless ctx is gone by then.
void later(QObject* ctx, std::function<void()> fn);

// Tasks waiting in receive() on one socket, first come first served. Each waiter may have a
// timeout (it then leaves the queue and gets `nil, err` kind timeout); a cancelled wait (the
// session ended) leaves the queue quietly. Hold it by shared_ptr (the timers and cancel hooks
// keep weak references).
class Waiters : public std::enable_shared_from_this<Waiters>
{
public:
    struct Waiter
    {
        quint64 id = 0;
        Resumer resume;
        QPointer<QTimer> timer;
        int mode = 0; // what the module waits for (tcp: bytes, line, …)
        qint64 count = 0;
    };

    // Queue the wait of `resume` (call inside suspend()'s start). what names it in the timeout
    // message ("websocket receive").
    void add(Resumer resume, std::optional<int> timeoutMs, QObject* timerParent,
        const QString& what, int mode = 0, qint64 count = 0);
    bool empty() const { return m_waiters.empty(); }
    const Waiter& front() const { return m_waiters.front(); }
    // Remove the first waiter and return its Resumer (its timer is stopped).
    Resumer takeFront();
    // Resume every waiter with `nil, err`.
    void failAll(ErrorKind kind, const QString& message);

private:
    void remove(quint64 id);
    std::deque<Waiter> m_waiters;
    quint64 m_nextId = 1;
};

} // namespace net
} // namespace lunette

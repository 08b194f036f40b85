// tcp (network): TCP client connections (QTcpSocket on the executor thread).
//
//   tcp.connect(host, port [, {timeout}]) -> conn | nil, err   (waits until connected; timeout
//                                                             in ms, default 30000)
//   conn:send(data) -> bytes | nil, err     queues data for sending (does not wait)
//   conn:receive([pattern [, timeout_ms]]) -> data | nil, err   (waits)
//        pattern nil: whatever has arrived (at least one byte); n: exactly n bytes;
//        "*l": a line without its "\n" (and "\r"); "*a": everything until the peer closes
//   conn:close() -> true                    also on __close and when collected
//   conn:on("data", fn(data)) / conn:on("close", fn()) -> conn   (plua style: each call a new
//                                                  task; data then goes to fn, not receive())
//
// Received data is buffered up to 64 MiB. When the peer closes, buffered data can still be
// received (nil pattern, "*a"); then receive gives nil, err kind network. After the session
// ended every method returns nil, err kind canceled. Errors: invalid (empty host, port out of
// range), timeout, network (refused, host not found, closed), io (a line over 64 MiB).

#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include <lua.hpp>

#include "NetSupport.h"
#include "lua/LuaRuntime.h"
#include "runtime/Async.h"
#include "runtime/Errors.h"
#include "runtime/Module.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

constexpr const char* kMeta = "tcp connection";
constexpr qint64 kSocketBuffer = 1024 * 1024; // Qt's own read buffer: TCP back-pressure beyond

enum Mode
{
    Available,
    Bytes,
    Line,
    All
};

struct Connection
{
    enum class State
    {
        Connecting,
        Open,
        Closed
    };

    QPointer<QTcpSocket> socket;
    net::SessionRef session;
    QObject* context = nullptr;
    QString peer; // "host:port"
    State state = State::Connecting;
    bool peerClosed = false; // no more data will come
    QByteArray buffer;
    std::shared_ptr<net::Waiters> waiters = std::make_shared<net::Waiters>();
    QString closeMessage = u"the connection is closed"_s;
    std::vector<LuaCallback> onData;
    std::vector<LuaCallback> onClose;
    net::Anchor anchor; // keeps the userdata while handlers listen

    ~Connection() { shutdown(); }

    // Close our side: pending data is still sent; the socket goes when the peer agrees.
    void shutdown()
    {
        if (!socket)
            return;
        QTcpSocket* s = socket;
        socket = nullptr;
        QObject::disconnect(s, nullptr, nullptr, nullptr);
        if (s->state() == QAbstractSocket::UnconnectedState) {
            s->deleteLater();
            return;
        }
        QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        QTimer::singleShot(5000, s, &QObject::deleteLater);
        s->disconnectFromHost();
    }

    // Move what the socket has read into the buffer (up to the limit).
    void pull()
    {
        if (socket && buffer.size() < net::kMaxBufferBytes && socket->bytesAvailable() > 0)
            buffer += socket->read(net::kMaxBufferBytes - buffer.size());
    }
};

struct Handle
{
    std::shared_ptr<Connection> conn;
};

enum class Take
{
    Data,
    NotYet,
    Closed,
    TooLong
};

// Take what a receive(mode, count) asks for from the buffer, if it is there.
Take take(Connection& conn, int mode, qint64 count, QByteArray* out)
{
    const bool ended = conn.peerClosed || conn.state == Connection::State::Closed;
    switch (mode) {
    case Available:
        if (!conn.buffer.isEmpty()) {
            *out = std::exchange(conn.buffer, {});
            return Take::Data;
        }
        break;
    case Bytes:
        if (conn.buffer.size() >= count) {
            *out = conn.buffer.left(count);
            conn.buffer.remove(0, count);
            return Take::Data;
        }
        break;
    case Line: {
        const qsizetype end = conn.buffer.indexOf('\n');
        if (end >= 0) {
            *out = conn.buffer.left(end);
            conn.buffer.remove(0, end + 1);
            if (out->endsWith('\r'))
                out->chop(1);
            return Take::Data;
        }
        if (!ended && conn.buffer.size() >= net::kMaxBufferBytes)
            return Take::TooLong;
        break;
    }
    case All:
        if (ended) {
            *out = std::exchange(conn.buffer, {});
            return Take::Data;
        }
        return Take::NotYet;
    }
    return ended ? Take::Closed : Take::NotYet;
}

ResultPusher pushData(QByteArray data)
{
    return [data = std::move(data)](lua_State* L) {
        lua::pushBytes(L, data);
        return 1;
    };
}

// Hand buffered data to the waiting tasks, first come first served.
void serve(const std::shared_ptr<Connection>& conn)
{
    conn->pull();
    while (!conn->onData.empty() && !conn->buffer.isEmpty()) {
        const QByteArray data = std::exchange(conn->buffer, {});
        const auto handlers = conn->onData; // a handler may add more
        for (const LuaCallback& handler : handlers)
            handler(pushData(data), "tcp data handler");
        conn->pull();
    }
    while (!conn->waiters->empty()) {
        const auto& waiter = conn->waiters->front();
        QByteArray data;
        const Take taken = take(*conn, waiter.mode, waiter.count, &data);
        if (taken == Take::NotYet)
            return;
        Resumer resume = conn->waiters->takeFront();
        if (taken == Take::Data)
            resume(pushData(std::move(data)));
        else if (taken == Take::TooLong)
            resume(net::failure(ErrorKind::Io, u"a line longer than 64 MiB"_s));
        else
            resume(net::failure(ErrorKind::Network, conn->closeMessage));
        conn->pull(); // the task may have taken data itself, or closed the connection
    }
}

// The connection is closed (by the peer or by us): the close handlers run once.
void notifyClosed(const std::shared_ptr<Connection>& conn)
{
    const auto handlers = std::exchange(conn->onClose, {});
    conn->onData.clear();
    for (const LuaCallback& handler : handlers)
        handler({}, "tcp close handler");
    conn->anchor.release(conn->session);
}

void wire(const std::shared_ptr<Connection>& conn)
{
    QTcpSocket* socket = conn->socket;
    const std::weak_ptr<Connection> weak = conn;
    QObject::connect(
        socket, &QTcpSocket::readyRead, socket,
        [weak] {
            if (auto c = weak.lock(); c && c->state == Connection::State::Open)
                serve(c);
        },
        Qt::QueuedConnection);
    QObject::connect(socket, &QTcpSocket::errorOccurred, socket, [weak, socket] {
        if (auto c = weak.lock(); c && socket->error() != QAbstractSocket::RemoteHostClosedError)
            c->closeMessage = u"the connection is closed (%1)"_s.arg(socket->errorString());
    });
    QObject::connect(
        socket, &QTcpSocket::disconnected, socket,
        [weak] {
            auto c = weak.lock();
            if (!c || c->state != Connection::State::Open)
                return;
            c->pull();
            c->peerClosed = true;
            c->state = Connection::State::Closed;
            c->shutdown();
            serve(c);
            notifyClosed(c);
        },
        Qt::QueuedConnection);
}

Handle* check(lua_State* L)
{
    return lua::checkUserdata<Handle>(L, 1, kMeta);
}

int send(lua_State* L)
{
    Handle* h = check(L);
    size_t len = 0;
    const char* data = luaL_checklstring(L, 2, &len);
    const auto& conn = h->conn;
    if (!conn->session.alive())
        return net::failEnded(L, "tcp send");
    if (conn->state != Connection::State::Open || conn->peerClosed || !conn->socket)
        return failWith(L, ErrorKind::Network, conn->closeMessage);
    const qint64 written = conn->socket->write(data, static_cast<qint64>(len));
    if (written < 0)
        return failWith(L, ErrorKind::Network, conn->socket->errorString());
    lua_pushinteger(L, written);
    return 1;
}

int receive(lua_State* L)
{
    Handle* h = check(L);
    int mode = Available;
    qint64 count = 0;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        int isInteger = 0;
        count = lua_tointegerx(L, 2, &isInteger);
        if (!isInteger || count <= 0 || count > net::kMaxBufferBytes)
            return luaL_argerror(L, 2, "a byte count from 1 to 64 MiB");
        mode = Bytes;
    } else if (!lua_isnoneornil(L, 2)) {
        const QByteArray pattern = lua::toBytes(L, 2);
        if (lua_type(L, 2) != LUA_TSTRING)
            return luaL_typeerror(L, 2, "number or string");
        if (pattern == "*l" || pattern == "l")
            mode = Line;
        else if (pattern == "*a" || pattern == "a")
            mode = All;
        else
            return luaL_argerror(L, 2, "a byte count, \"*l\" or \"*a\"");
    }
    const std::optional<int> timeout = net::timeoutArg(L, 3);
    std::shared_ptr<Connection> conn = h->conn;
    if (!conn->session.alive())
        return net::failEnded(L, "tcp receive");
    if (conn->waiters->empty()) {
        conn->pull();
        QByteArray data;
        switch (take(*conn, mode, count, &data)) {
        case Take::Data:
            lua::pushBytes(L, data);
            return 1;
        case Take::Closed:
            return failWith(L, ErrorKind::Network, conn->closeMessage);
        case Take::TooLong:
            return failWith(L, ErrorKind::Io, u"a line longer than 64 MiB"_s);
        case Take::NotYet:
            break;
        }
    } else if (conn->state == Connection::State::Closed) {
        return failWith(L, ErrorKind::Network, conn->closeMessage);
    }
    return suspend(L, "tcp receive", [conn, timeout, mode, count](Resumer resume) {
        conn->waiters->add(resume, timeout, conn->context, u"tcp receive"_s, mode, count);
    });
}

void closeConnection(const std::shared_ptr<Connection>& conn)
{
    if (conn->state == Connection::State::Closed)
        return;
    conn->state = Connection::State::Closed;
    conn->shutdown();
    // Waiting tasks and close handlers learn it in a later turn (not inside this call).
    net::later(conn->context, [weak = std::weak_ptr<Connection>(conn)] {
        if (auto c = weak.lock()) {
            c->waiters->failAll(ErrorKind::Network, c->closeMessage);
            notifyClosed(c);
        }
    });
}

int close(lua_State* L)
{
    Handle* h = check(L);
    if (!h->conn->session.alive())
        return net::failEnded(L, "tcp close");
    closeConnection(h->conn);
    lua_pushboolean(L, 1);
    return 1;
}

int closeMeta(lua_State* L)
{
    if (Handle* h = lua::testUserdata<Handle>(L, 1, kMeta); h && h->conn->session.alive())
        closeConnection(h->conn);
    return 0;
}

int on(lua_State* L)
{
    Handle* h = check(L);
    static const char* const events[] = { "data", "close", nullptr };
    const int event = luaL_checkoption(L, 2, nullptr, events);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    const auto& conn = h->conn;
    if (!conn->session.alive())
        return net::failEnded(L, "tcp on");
    lua_settop(L, 3);
    if (conn->state == Connection::State::Closed) {
        lua_settop(L, 1);
        return 1; // nothing will happen any more
    }
    (event == 0 ? conn->onData : conn->onClose).emplace_back(L, 3);
    conn->anchor.hold(L, 1);
    if (event == 0) // data that came before the first handler goes to it after this turn
        net::later(conn->context, [weak = std::weak_ptr<Connection>(conn)] {
            if (auto c = weak.lock())
                serve(c);
        });
    lua_settop(L, 1);
    return 1;
}

int toString(lua_State* L)
{
    Handle* h = check(L);
    const char* state = !h->conn->session.alive()                           ? "session ended"
        : h->conn->state == Connection::State::Open && !h->conn->peerClosed ? "open"
                                                                            : "closed";
    lua_pushfstring(L, "tcp connection: %s (%s)", qUtf8Printable(h->conn->peer), state);
    return 1;
}

int pushConnection(lua_State* L, std::shared_ptr<Connection> conn)
{
    static const luaL_Reg methods[] = {
        { "send", send },
        { "receive", receive },
        { "close", close },
        { "on", on },
        { nullptr, nullptr },
    };
    static const luaL_Reg metamethods[] = {
        { "__close", closeMeta },
        { "__tostring", toString },
        { nullptr, nullptr },
    };
    lua::pushMetatable<Handle>(L, kMeta, methods, metamethods);
    lua_pop(L, 1);
    lua::newUserdata<Handle>(L, kMeta, Handle { std::move(conn) });
    return 1;
}

using Connecting = net::ConnectWait<Connection>;

int connect(lua_State* L)
{
    const QString host = lua::checkQString(L, 1);
    const lua_Integer port = luaL_checkinteger(L, 2);
    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    const int timeoutMs = net::timeoutField(L, 3, "timeout", 3).value_or(net::kDefaultTimeoutMs);
    if (host.trimmed().isEmpty())
        return failWith(L, ErrorKind::Invalid, u"tcp.connect: the host is empty"_s);
    if (port < 1 || port > 65535)
        return failWith(
            L, ErrorKind::Invalid, u"tcp.connect: port %1 is not from 1 to 65535"_s.arg(port));

    auto conn = std::make_shared<Connection>();
    conn->session = net::SessionRef(L);
    conn->context = net::context(L);
    conn->peer = u"%1:%2"_s.arg(host).arg(port);
    return suspend(L, "tcp.connect", [conn, host, port, timeoutMs](Resumer resume) mutable {
        auto* socket = new QTcpSocket(conn->context);
        socket->setReadBufferSize(kSocketBuffer);
        conn->socket = socket;
        wire(conn);
        auto pending = std::make_shared<Connecting>();
        pending->conn = conn;
        pending->resume = resume;
        pending->timeoutMs = timeoutMs;

        QObject::connect(
            socket, &QTcpSocket::connected, socket,
            [pending] {
                if (pending->done)
                    return;
                pending->done = true;
                auto c = std::move(pending->conn);
                c->state = Connection::State::Open;
                pending->resume([c](lua_State* L) { return pushConnection(L, c); });
                // Data that came with the connection: readyRead was not handled while connecting.
                net::later(c->context, [weak = std::weak_ptr<Connection>(c)] {
                    if (auto alive = weak.lock(); alive && alive->state == Connection::State::Open)
                        serve(alive);
                });
            },
            Qt::QueuedConnection);
        QObject::connect(socket, &QTcpSocket::errorOccurred, socket, [pending, socket] {
            const QString message = socket->errorString();
            net::later(socket, [pending, message] { pending->fail(ErrorKind::Network, message); });
        });
        auto* timer = new QTimer(socket);
        timer->setSingleShot(true);
        QObject::connect(timer, &QTimer::timeout, socket, [pending] {
            pending->fail(
                ErrorKind::Timeout, u"connecting timed out after %1 ms"_s.arg(pending->timeoutMs));
        });
        timer->start(timeoutMs);
        resume.onCancel([weak = std::weak_ptr<Connecting>(pending)] {
            if (auto p = weak.lock()) {
                p->done = true;
                p->conn.reset();
            }
        });
        socket->connectToHost(host, static_cast<quint16>(port));
        conn.reset(); // pending holds it until the wait ends
    });
}

int build(lua_State* L)
{
    static const luaL_Reg functions[] = {
        { "connect", connect },
        { nullptr, nullptr },
    };
    luaL_newlib(L, functions);
    return 1;
}

} // namespace

extern const ModuleDef kTcpModule {
    "tcp",
    "TCP client connections",
    Capability::Network,
    build,
    R"lua(---@meta tcp
local tcp = {}

---@class tcp.Connection
local Connection = {}

---Queues data for sending (does not wait).
---@param data string
---@return integer? bytes
---@return lunette.Error? err
function Connection:send(data) end

---Receives data, waiting until it has arrived (the running action or timer pauses, its changes
---so far are shown). pattern: nil for whatever has arrived, a byte count, "*l" for a line
---(without the line break) or "*a" for everything until the peer closes. nil and an error on
---timeout (kind timeout) or when the connection is closed (kind network).
---@param pattern? integer|"*l"|"*a"
---@param timeout_ms? number
---@return string? data
---@return lunette.Error? err
function Connection:receive(pattern, timeout_ms) end

---Closes the connection (also done by `local c <close> = ...` and when it is collected).
---@return true
function Connection:close() end

---plua style: runs fn as a new task with the data as it arrives (receive() then gets none), or
---once when the connection closes. The connection stays alive while it has handlers and is
---open.
---@param event "data"|"close"
---@param fn fun(data: string)|fun()
---@return tcp.Connection self
function Connection:on(event, fn) end

---Connects to host:port and waits until the connection is established.
---@param host string a name or an address
---@param port integer
---@param options? {timeout?: number}
---@return tcp.Connection? conn
---@return lunette.Error? err
function tcp.connect(host, port, options) end

return tcp
)lua",
};

} // namespace lunette

// websocket (network): WebSocket client connections (QWebSocket on the executor thread).
//
//   websocket.connect(url [, {headers, timeout}]) -> ws | nil, err   (waits until connected;
//                                                   ws:// or wss://, timeout in ms, default 30000)
//   ws:send(data [, binary]) -> true | nil, err       a text message (a binary one when binary)
//   ws:receive([timeout_ms]) -> message | nil, err    (waits; messages queue up meanwhile)
//   ws:close() -> true                                closes; also on __close and when collected
//   ws:on("message", fn(message)) / ws:on("close", fn(code, reason)) -> ws
//   ws:is_open() -> boolean
//
// Messages go to the "message" handlers when there are any (each call a new task), otherwise to
// the tasks waiting in receive(), otherwise into a queue (at most 64 MiB; over that the
// connection is closed with code 1009). A socket with handlers stays alive while it is open even
// when the script keeps no reference to it. After its session ended every method returns nil,
// err kind canceled. Errors: invalid (not a ws/wss URL), timeout, network (refused, closed).

#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <lua.hpp>

#include "NetSupport.h"
#include "lua/LuaRuntime.h"
#include "runtime/Async.h"
#include "runtime/Errors.h"
#include "runtime/Module.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

constexpr const char* kMeta = "websocket";

struct Connection
{
    enum class State
    {
        Connecting,
        Open,
        Closing,
        Closed
    };

    QPointer<QWebSocket> socket;
    net::SessionRef session;
    QObject* context = nullptr; // the session's network context (parent of the timers)
    QString url;
    State state = State::Connecting;
    std::shared_ptr<net::Waiters> waiters = std::make_shared<net::Waiters>();
    std::deque<QByteArray> queue;
    qint64 queuedBytes = 0;
    std::vector<LuaCallback> onMessage;
    std::vector<LuaCallback> onClose;
    int closeCode = 0;
    QString closeReason;
    net::Anchor anchor; // keeps the userdata while handlers listen

    ~Connection()
    {
        if (!socket)
            return;
        QObject::disconnect(socket, nullptr, nullptr, nullptr);
        if (socket->state() == QAbstractSocket::ConnectedState) {
            // A polite close; the socket goes when the server agrees, or after a second.
            QObject::connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
            QTimer::singleShot(1000, socket, &QObject::deleteLater);
            socket->close();
        } else {
            socket->abort();
            socket->deleteLater();
        }
    }

    QString closedMessage() const
    {
        if (closeCode == 0 || closeCode == QWebSocketProtocol::CloseCodeNormal)
            return u"the connection is closed"_s;
        return u"the connection is closed (%1%2)"_s.arg(closeCode).arg(
            closeReason.isEmpty() ? QString() : u": "_s + closeReason);
    }
};

struct Handle
{
    std::shared_ptr<Connection> conn;
};

int pushMessage(lua_State* L, const QByteArray& message)
{
    lua::pushBytes(L, message);
    return 1;
}

// A message arrived (or handlers were just set and messages were waiting for them).
void deliver(const std::shared_ptr<Connection>& conn, const QByteArray& message)
{
    if (!conn->onMessage.empty()) {
        const auto handlers = conn->onMessage; // a handler may add more
        for (const LuaCallback& handler : handlers)
            handler([message](lua_State* L) { return pushMessage(L, message); },
                "websocket message handler");
        return;
    }
    if (!conn->waiters->empty()) {
        conn->waiters->takeFront()([message](lua_State* L) { return pushMessage(L, message); });
        return;
    }
    conn->queue.push_back(message);
    conn->queuedBytes += message.size();
    if (conn->queuedBytes > net::kMaxBufferBytes && conn->socket
        && conn->state == Connection::State::Open) {
        conn->state = Connection::State::Closing;
        conn->socket->close(QWebSocketProtocol::CloseCodeTooMuchData,
            u"more than 64 MiB of messages nobody received"_s);
    }
}

void closed(const std::shared_ptr<Connection>& conn)
{
    if (conn->state == Connection::State::Closed)
        return;
    conn->state = Connection::State::Closed;
    if (conn->socket) {
        conn->closeCode = conn->socket->closeCode();
        conn->closeReason = conn->socket->closeReason();
        conn->socket->deleteLater();
    }
    conn->waiters->failAll(ErrorKind::Network, conn->closedMessage());
    const auto handlers = std::exchange(conn->onClose, {});
    conn->onMessage.clear();
    for (const LuaCallback& handler : handlers) {
        handler(
            [code = conn->closeCode, reason = conn->closeReason](lua_State* L) {
                lua_pushinteger(L, code);
                lua::pushString(L, reason);
                return 2;
            },
            "websocket close handler");
    }
    conn->anchor.release(conn->session);
}

// The signals of an open connection. Queued: close() from Lua emits some of them at once, and
// handlers run Lua.
void wire(const std::shared_ptr<Connection>& conn)
{
    QWebSocket* socket = conn->socket;
    const std::weak_ptr<Connection> weak = conn;
    QObject::connect(
        socket, &QWebSocket::textMessageReceived, socket,
        [weak](const QString& text) {
            if (auto c = weak.lock())
                deliver(c, text.toUtf8());
        },
        Qt::QueuedConnection);
    QObject::connect(
        socket, &QWebSocket::binaryMessageReceived, socket,
        [weak](const QByteArray& data) {
            if (auto c = weak.lock())
                deliver(c, data);
        },
        Qt::QueuedConnection);
    QObject::connect(
        socket, &QWebSocket::disconnected, socket,
        [weak] {
            if (auto c = weak.lock(); c && c->state != Connection::State::Connecting)
                closed(c);
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
    const bool binary = lua_toboolean(L, 3);
    const auto& conn = h->conn;
    if (!conn->session.alive())
        return net::failEnded(L, "websocket send");
    if (conn->state != Connection::State::Open || !conn->socket)
        return failWith(L, ErrorKind::Network, conn->closedMessage());
    const QByteArray bytes(data, static_cast<qsizetype>(len));
    if (binary)
        conn->socket->sendBinaryMessage(bytes);
    else
        conn->socket->sendTextMessage(QString::fromUtf8(bytes));
    lua_pushboolean(L, 1);
    return 1;
}

int receive(lua_State* L)
{
    Handle* h = check(L);
    const std::optional<int> timeout = net::timeoutArg(L, 2);
    std::shared_ptr<Connection> conn = h->conn;
    if (!conn->session.alive())
        return net::failEnded(L, "websocket receive");
    if (!conn->queue.empty()) {
        const QByteArray message = std::move(conn->queue.front());
        conn->queue.pop_front();
        conn->queuedBytes -= message.size();
        return pushMessage(L, message);
    }
    if (conn->state != Connection::State::Open || !conn->socket)
        return failWith(L, ErrorKind::Network, conn->closedMessage());
    return suspend(L, "websocket receive", [conn, timeout](Resumer resume) {
        conn->waiters->add(resume, timeout, conn->context, u"websocket receive"_s);
    });
}

int close(lua_State* L)
{
    Handle* h = check(L);
    const auto& conn = h->conn;
    if (!conn->session.alive())
        return net::failEnded(L, "websocket close");
    if (conn->state == Connection::State::Open && conn->socket) {
        conn->state = Connection::State::Closing;
        conn->socket->close();
    }
    lua_pushboolean(L, 1);
    return 1;
}

int closeMeta(lua_State* L)
{
    if (Handle* h = lua::testUserdata<Handle>(L, 1, kMeta)) {
        const auto& conn = h->conn;
        if (conn->session.alive() && conn->state == Connection::State::Open && conn->socket) {
            conn->state = Connection::State::Closing;
            conn->socket->close();
        }
    }
    return 0;
}

int on(lua_State* L)
{
    Handle* h = check(L);
    static const char* const events[] = { "message", "close", nullptr };
    const int event = luaL_checkoption(L, 2, nullptr, events);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    const auto& conn = h->conn;
    if (!conn->session.alive())
        return net::failEnded(L, "websocket on");
    if (conn->state == Connection::State::Closed) {
        lua_settop(L, 1);
        return 1; // nothing will happen any more
    }
    (event == 0 ? conn->onMessage : conn->onClose).emplace_back(L, 3);
    conn->anchor.hold(L, 1);
    if (event == 0 && !conn->queue.empty()) {
        // Messages that came before the first handler go to it, in order, after this turn.
        net::later(conn->context, [weak = std::weak_ptr<Connection>(conn)] {
            auto c = weak.lock();
            while (c && !c->queue.empty() && !c->onMessage.empty()) {
                const QByteArray message = std::move(c->queue.front());
                c->queue.pop_front();
                c->queuedBytes -= message.size();
                deliver(c, message);
            }
        });
    }
    lua_settop(L, 1);
    return 1;
}

int isOpen(lua_State* L)
{
    Handle* h = check(L);
    lua_pushboolean(L,
        h->conn->session.alive() && h->conn->state == Connection::State::Open && h->conn->socket);
    return 1;
}

int toString(lua_State* L)
{
    Handle* h = check(L);
    const char* state = "closed";
    if (!h->conn->session.alive())
        state = "session ended";
    else if (h->conn->state == Connection::State::Open)
        state = "open";
    else if (h->conn->state == Connection::State::Closing)
        state = "closing";
    if (h->conn->queue.empty())
        lua_pushfstring(L, "websocket: %s (%s)", qUtf8Printable(h->conn->url), state);
    else
        lua_pushfstring(L, "websocket: %s (%s, %d queued)", qUtf8Printable(h->conn->url), state,
            static_cast<int>(h->conn->queue.size()));
    return 1;
}

int pushSocket(lua_State* L, std::shared_ptr<Connection> conn)
{
    static const luaL_Reg methods[] = {
        { "send", send },
        { "receive", receive },
        { "close", close },
        { "on", on },
        { "is_open", isOpen },
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

// The connect wait: ends with the socket, an error, or the timeout.
using Connecting = net::ConnectWait<Connection>;

int connect(lua_State* L)
{
    const QString text = lua::checkQString(L, 1);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    const QUrl url(text, QUrl::StrictMode);
    QString invalid;
    if (!url.isValid() || url.host().isEmpty())
        invalid = u"not a valid URL: '%1'"_s.arg(text);
    else if (url.scheme() != u"ws"_s && url.scheme() != u"wss"_s)
        invalid = u"only ws and wss URLs are supported: '%1'"_s.arg(text);
    QList<QPair<QByteArray, QByteArray>> headers;
    int timeoutMs = net::kDefaultTimeoutMs;
    if (!lua_isnoneornil(L, 2)) {
        QString badHeader;
        if (!net::readHeaders(L, 2, 2, headers, &badHeader) && invalid.isEmpty())
            invalid = badHeader;
        if (auto timeout = net::timeoutField(L, 2, "timeout", 2))
            timeoutMs = *timeout;
    }
    if (!invalid.isEmpty())
        return failWith(L, ErrorKind::Invalid, invalid);

    auto conn = std::make_shared<Connection>();
    conn->session = net::SessionRef(L);
    conn->context = net::context(L);
    conn->url = url.toString();
    return suspend(L, "websocket.connect", [conn, url, headers, timeoutMs](Resumer resume) mutable {
        auto* socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, conn->context);
        socket->setMaxAllowedIncomingMessageSize(net::kMaxBufferBytes);
        conn->socket = socket;
        wire(conn);
        auto pending = std::make_shared<Connecting>();
        pending->conn = conn;
        pending->resume = resume;
        pending->timeoutMs = timeoutMs;

        QObject::connect(
            socket, &QWebSocket::connected, socket,
            [pending] {
                if (pending->done)
                    return;
                pending->done = true;
                auto c = std::move(pending->conn);
                if (c->state == Connection::State::Connecting)
                    c->state = Connection::State::Open;
                pending->resume([c](lua_State* L) { return pushSocket(L, c); });
            },
            Qt::QueuedConnection);
        QObject::connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error),
            socket, [pending, socket] {
                const QString message = socket->errorString();
                net::later(
                    socket, [pending, message] { pending->fail(ErrorKind::Network, message); });
            });
        QObject::connect(
            socket, &QWebSocket::disconnected, socket,
            [pending] { pending->fail(ErrorKind::Network, u"the connection was closed"_s); },
            Qt::QueuedConnection);
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

        QNetworkRequest request(url);
        for (const auto& [name, value] : headers)
            request.setRawHeader(name, value);
        socket->open(request);
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

extern const ModuleDef kWebsocketModule {
    "websocket",
    "WebSocket client connections",
    Capability::Network,
    build,
    R"lua(---@meta websocket
local websocket = {}

---@class websocket.Socket
local Socket = {}

---Sends a text message (a binary one when binary is true).
---@param data string
---@param binary? boolean
---@return true? ok
---@return lunette.Error? err
function Socket:send(data, binary) end

---The next message. Waits when none is queued (the running action or timer pauses, its changes
---so far are shown); nil and an error on timeout (kind timeout) or when the connection closed
---(kind network).
---@param timeout_ms? number
---@return string? message
---@return lunette.Error? err
function Socket:receive(timeout_ms) end

---Closes the connection (also done by `local ws <close> = ...` and when it is collected).
---@return true
function Socket:close() end

---Runs fn as a new task for every message (then receive() gets none) or once when the
---connection closes (with the close code and reason). The socket stays alive while it has
---handlers and is open.
---@param event "message"|"close"
---@param fn fun(message: string)|fun(code: integer, reason: string)
---@return websocket.Socket self
function Socket:on(event, fn) end

---Whether the connection is open.
---@return boolean
function Socket:is_open() end

---Opens a WebSocket connection (ws:// or wss://) and waits until it is established.
---@param url string
---@param options? {headers?: table<string, string>, timeout?: number}
---@return websocket.Socket? ws
---@return lunette.Error? err
function websocket.connect(url, options) end

return websocket
)lua",
};

} // namespace lunette

// udp (network): UDP sockets (QUdpSocket on the executor thread).
//
//   udp.open([{port, host}]) -> sock | nil, err   binds (port 0 / absent: any free port; host:
//                                                 the local address, default all)
//   sock:send(host, port, data) -> bytes | nil, err   one datagram (waits only while a host
//                                                     name is looked up)
//   sock:receive([timeout_ms]) -> data, host, port | nil, err   (waits; datagrams queue up)
//   sock:port() -> the local port
//   sock:close() -> true                              also on __close and when collected
//   sock:on("datagram", fn(data, host, port)) -> sock  (plua style: each datagram a new task;
//                                                      receive() then gets none)
//
// Datagrams nobody received yet are kept up to 64 MiB (then the oldest are dropped: UDP may lose
// them anyway). After the session ended every method returns nil, err kind canceled. Errors:
// invalid (bad port, a bind host that is not an address, a datagram over 65507 bytes), timeout,
// network (bind failed, host not found, closed).

#include <QHostInfo>
#include <QNetworkDatagram>
#include <QPointer>
#include <QUdpSocket>

#include <lua.hpp>

#include "NetSupport.h"
#include "lua/LuaRuntime.h"
#include "runtime/Async.h"
#include "runtime/Errors.h"
#include "runtime/Module.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

constexpr const char* kMeta = "udp socket";
constexpr qint64 kMaxDatagram = 65507;

struct Datagram
{
    QByteArray data;
    QString host;
    quint16 port = 0;
};

struct Socket
{
    QPointer<QUdpSocket> socket;
    net::SessionRef session;
    QObject* context = nullptr;
    quint16 port = 0;
    bool closed = false;
    std::deque<Datagram> queue;
    qint64 queuedBytes = 0;
    std::shared_ptr<net::Waiters> waiters = std::make_shared<net::Waiters>();
    std::vector<LuaCallback> onDatagram;
    net::Anchor anchor; // keeps the userdata while handlers listen

    ~Socket() { shutdown(); }
    void shutdown()
    {
        if (!socket)
            return;
        QObject::disconnect(socket, nullptr, nullptr, nullptr);
        socket->close();
        socket->deleteLater();
        socket = nullptr;
    }
};

struct Handle
{
    std::shared_ptr<Socket> sock;
};

ResultPusher pushDatagram(Datagram d)
{
    return [d = std::move(d)](lua_State* L) {
        lua::pushBytes(L, d.data);
        lua::pushString(L, d.host);
        lua_pushinteger(L, d.port);
        return 3;
    };
}

QString hostText(const QHostAddress& address)
{
    bool mapped = false;
    const quint32 ipv4 = address.toIPv4Address(&mapped);
    return mapped ? QHostAddress(ipv4).toString() : address.toString();
}

void take(Socket& sock, Datagram d)
{
    if (!sock.onDatagram.empty()) {
        const auto handlers = sock.onDatagram; // a handler may add more
        for (const LuaCallback& handler : handlers)
            handler(pushDatagram(d), "udp datagram handler");
        return;
    }
    if (!sock.waiters->empty()) {
        sock.waiters->takeFront()(pushDatagram(std::move(d)));
        return;
    }
    sock.queuedBytes += d.data.size();
    sock.queue.push_back(std::move(d));
    while (sock.queuedBytes > net::kMaxBufferBytes) {
        sock.queuedBytes -= sock.queue.front().data.size();
        sock.queue.pop_front();
    }
}

void readDatagrams(const std::shared_ptr<Socket>& sock)
{
    bool any = false;
    while (sock->socket && sock->socket->hasPendingDatagrams()) {
        const QNetworkDatagram datagram = sock->socket->receiveDatagram();
        any = true;
        take(*sock,
            { datagram.data(), hostText(datagram.senderAddress()),
                static_cast<quint16>(datagram.senderPort()) });
    }
    if (!any && sock->socket) {
        // A readyRead with nothing to read (a stale notification): QUdpSocket emits no more
        // until a read call, so make one (it also gets a datagram that came just now).
        QByteArray buffer(65536, Qt::Uninitialized);
        QHostAddress sender;
        quint16 senderPort = 0;
        const qint64 n
            = sock->socket->readDatagram(buffer.data(), buffer.size(), &sender, &senderPort);
        if (n >= 0)
            take(*sock, { buffer.left(n), hostText(sender), senderPort });
    }
}

Handle* check(lua_State* L)
{
    return lua::checkUserdata<Handle>(L, 1, kMeta);
}

int sendTo(Socket& sock, const QHostAddress& address, quint16 port, const QByteArray& data,
    const std::function<int(ErrorKind, const QString&)>& fail, const std::function<int(qint64)>& ok)
{
    if (sock.closed || !sock.socket)
        return fail(ErrorKind::Network, u"the socket is closed"_s);
    const qint64 sent = sock.socket->writeDatagram(data, address, port);
    if (sent < 0)
        return fail(ErrorKind::Network, sock.socket->errorString());
    return ok(sent);
}

int send(lua_State* L)
{
    Handle* h = check(L);
    const QString host = lua::checkQString(L, 2);
    const lua_Integer port = luaL_checkinteger(L, 3);
    size_t len = 0;
    const char* bytes = luaL_checklstring(L, 4, &len);
    const auto& sock = h->sock;
    if (!sock->session.alive())
        return net::failEnded(L, "udp send");
    if (port < 1 || port > 65535)
        return failWith(L, ErrorKind::Invalid, u"port %1 is not from 1 to 65535"_s.arg(port));
    if (static_cast<qint64>(len) > kMaxDatagram)
        return failWith(L, ErrorKind::Invalid,
            u"a datagram of %1 bytes is larger than %2"_s.arg(len).arg(kMaxDatagram));
    const QByteArray data(bytes, static_cast<qsizetype>(len));
    const auto fail
        = [L](ErrorKind kind, const QString& message) { return failWith(L, kind, message); };
    const auto ok = [L](qint64 sent) {
        lua_pushinteger(L, sent);
        return 1;
    };
    QHostAddress address;
    if (host.compare(u"localhost"_s, Qt::CaseInsensitive) == 0)
        address = QHostAddress(QHostAddress::LocalHost);
    else
        address.setAddress(host);
    if (!address.isNull())
        return sendTo(*sock, address, static_cast<quint16>(port), data, fail, ok);
    if (host.trimmed().isEmpty())
        return failWith(L, ErrorKind::Invalid, u"the host is empty"_s);

    // A host name: look it up without blocking.
    std::shared_ptr<Socket> shared = sock;
    return suspend(L, "udp send", [shared, host, port, data](Resumer resume) {
        const int id = QHostInfo::lookupHost(
            host, shared->context, [shared, port, data, resume](const QHostInfo& info) {
                QHostAddress found;
                for (const QHostAddress& a : info.addresses()) {
                    if (found.isNull() || a.protocol() == QAbstractSocket::IPv4Protocol)
                        found = a;
                    if (a.protocol() == QAbstractSocket::IPv4Protocol)
                        break;
                }
                if (found.isNull()) {
                    resume(net::failure(
                        ErrorKind::Network, u"host not found: %1"_s.arg(info.hostName())));
                    return;
                }
                sendTo(
                    *shared, found, static_cast<quint16>(port), data,
                    [resume](ErrorKind kind, const QString& message) {
                        resume(net::failure(kind, message));
                        return 0;
                    },
                    [resume](qint64 sent) {
                        resume([sent](lua_State* S) {
                            lua_pushinteger(S, sent);
                            return 1;
                        });
                        return 0;
                    });
            });
        resume.onCancel([id] { QHostInfo::abortHostLookup(id); });
    });
}

int receive(lua_State* L)
{
    Handle* h = check(L);
    const std::optional<int> timeout = net::timeoutArg(L, 2);
    std::shared_ptr<Socket> sock = h->sock;
    if (!sock->session.alive())
        return net::failEnded(L, "udp receive");
    if (!sock->queue.empty() && sock->waiters->empty()) {
        Datagram d = std::move(sock->queue.front());
        sock->queue.pop_front();
        sock->queuedBytes -= d.data.size();
        return pushDatagram(std::move(d))(L);
    }
    if (sock->closed || !sock->socket)
        return failWith(L, ErrorKind::Network, u"the socket is closed"_s);
    return suspend(L, "udp receive", [sock, timeout](Resumer resume) {
        sock->waiters->add(resume, timeout, sock->context, u"udp receive"_s);
    });
}

void closeSocket(Socket& sock)
{
    if (sock.closed)
        return;
    sock.closed = true;
    sock.shutdown();
    sock.onDatagram.clear();
    sock.anchor.release(sock.session);
    net::later(sock.context, [waiters = sock.waiters] {
        waiters->failAll(ErrorKind::Network, u"the socket is closed"_s);
    });
}

int close(lua_State* L)
{
    Handle* h = check(L);
    if (!h->sock->session.alive())
        return net::failEnded(L, "udp close");
    closeSocket(*h->sock);
    lua_pushboolean(L, 1);
    return 1;
}

int closeMeta(lua_State* L)
{
    if (Handle* h = lua::testUserdata<Handle>(L, 1, kMeta); h && h->sock->session.alive())
        closeSocket(*h->sock);
    return 0;
}

int on(lua_State* L)
{
    Handle* h = check(L);
    static const char* const events[] = { "datagram", nullptr };
    luaL_checkoption(L, 2, nullptr, events);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    const auto& sock = h->sock;
    if (!sock->session.alive())
        return net::failEnded(L, "udp on");
    lua_settop(L, 3);
    if (!sock->closed) {
        sock->onDatagram.emplace_back(L, 3);
        sock->anchor.hold(L, 1);
        // Datagrams that came before the first handler go to it, after this turn.
        net::later(sock->context, [weak = std::weak_ptr<Socket>(sock)] {
            auto s = weak.lock();
            while (s && !s->closed && !s->queue.empty() && !s->onDatagram.empty()) {
                Datagram d = std::move(s->queue.front());
                s->queue.pop_front();
                s->queuedBytes -= d.data.size();
                take(*s, std::move(d));
            }
        });
    }
    lua_settop(L, 1);
    return 1;
}

int localPort(lua_State* L)
{
    lua_pushinteger(L, check(L)->sock->port);
    return 1;
}

int toString(lua_State* L)
{
    Handle* h = check(L);
    const char* state = !h->sock->session.alive() ? "session ended"
        : h->sock->closed                         ? "closed"
                                                  : "open";
    if (h->sock->queue.empty())
        lua_pushfstring(L, "udp socket: port %d (%s)", int(h->sock->port), state);
    else
        lua_pushfstring(L, "udp socket: port %d (%s, %d queued)", int(h->sock->port), state,
            static_cast<int>(h->sock->queue.size()));
    return 1;
}

int open(lua_State* L)
{
    QHostAddress address(QHostAddress::Any);
    lua_Integer port = 0;
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        if (lua_getfield(L, 1, "port") != LUA_TNIL) {
            int isInteger = 0;
            port = lua_tointegerx(L, -1, &isInteger);
            if (!isInteger)
                return luaL_argerror(L, 1, "'port' must be an integer");
        }
        lua_pop(L, 1);
        if (const int type = lua_getfield(L, 1, "host"); type != LUA_TNIL) {
            if (type != LUA_TSTRING)
                return luaL_argerror(L, 1, "'host' must be a string");
            const QString host = lua::toQString(L, -1);
            if (host.compare(u"localhost"_s, Qt::CaseInsensitive) == 0)
                address = QHostAddress(QHostAddress::LocalHost);
            else if (!address.setAddress(host))
                return failWith(L, ErrorKind::Invalid,
                    u"udp.open: the host must be a local address, not '%1'"_s.arg(host));
        }
        lua_pop(L, 1);
    }
    if (port < 0 || port > 65535)
        return failWith(
            L, ErrorKind::Invalid, u"udp.open: port %1 is not from 0 to 65535"_s.arg(port));

    static const luaL_Reg methods[] = {
        { "send", send },
        { "receive", receive },
        { "close", close },
        { "port", localPort },
        { "on", on },
        { nullptr, nullptr },
    };
    static const luaL_Reg metamethods[] = {
        { "__close", closeMeta },
        { "__tostring", toString },
        { nullptr, nullptr },
    };
    auto sock = std::make_shared<Socket>();
    sock->session = net::SessionRef(L);
    sock->context = net::context(L);
    auto* socket = new QUdpSocket(sock->context);
    sock->socket = socket;
    if (!socket->bind(address, static_cast<quint16>(port))) {
        const QString message = socket->errorString();
        return failWith(L, ErrorKind::Network, u"udp.open: %1"_s.arg(message)); // sock closes it
    }
    sock->port = socket->localPort();
    QObject::connect(socket, &QUdpSocket::readyRead, socket, [weak = std::weak_ptr<Socket>(sock)] {
        if (auto s = weak.lock(); s && !s->closed)
            readDatagrams(s);
    });
    lua::pushMetatable<Handle>(L, kMeta, methods, metamethods);
    lua_pop(L, 1);
    lua::newUserdata<Handle>(L, kMeta, Handle { std::move(sock) });
    return 1;
}

int build(lua_State* L)
{
    static const luaL_Reg functions[] = {
        { "open", open },
        { nullptr, nullptr },
    };
    luaL_newlib(L, functions);
    return 1;
}

} // namespace

extern const ModuleDef kUdpModule {
    "udp",
    "UDP sockets",
    Capability::Network,
    build,
    R"lua(---@meta udp
local udp = {}

---@class udp.Socket
local Socket = {}

---Sends one datagram (at most 65507 bytes). Waits only while a host name is looked up.
---@param host string a name or an address
---@param port integer
---@param data string
---@return integer? bytes
---@return lunette.Error? err
function Socket:send(host, port, data) end

---The next datagram and its sender. Waits when none is queued (the running action or timer
---pauses, its changes so far are shown); nil and an error on timeout (kind timeout) or when the
---socket is closed (kind network).
---@param timeout_ms? number
---@return string? data
---@return string|lunette.Error host_or_err
---@return integer? port
function Socket:receive(timeout_ms) end

---The local port the socket is bound to.
---@return integer
function Socket:port() end

---plua style: runs fn(data, host, port) as a new task for every datagram (receive() then gets
---none). The socket stays alive while it has handlers and is open.
---@param event "datagram"
---@param fn fun(data: string, host: string, port: integer)
---@return udp.Socket self
function Socket:on(event, fn) end

---Closes the socket (also done by `local s <close> = ...` and when it is collected).
---@return true
function Socket:close() end

---Opens a UDP socket bound to port (default: any free port) on host (default: every local
---address).
---@param options? {port?: integer, host?: string}
---@return udp.Socket? sock
---@return lunette.Error? err
function udp.open(options) end

return udp
)lua",
};

} // namespace lunette

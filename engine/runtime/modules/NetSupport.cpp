#include "NetSupport.h"

#include <cmath>

#include <QMetaObject>
#include <QObject>

#include <lua.hpp>

#include "lua/LuaRuntime.h"
#include "lua/LuaState.h"
#include "runtime/TaskRunner.h"

using namespace Qt::StringLiterals;

namespace lunette::net {

namespace {

constexpr const char* kContextKey = "lunette.net.context"; // registry: the holder userdata
constexpr const char* kHolderMeta = "lunette.net.holder";

// Owns the context QObject; runs when the state closes (or never before: it is anchored in the
// registry).
struct ContextHolder
{
    QObject* object = nullptr;
    ~ContextHolder()
    {
        if (!object)
            return;
        // The session is gone: nothing its sockets and replies say any more may reach a handler.
        object->blockSignals(true);
        for (QObject* child : object->findChildren<QObject*>())
            child->blockSignals(true);
        delete object;
    }
};

} // namespace

QObject* context(lua_State* L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, kContextKey) == LUA_TUSERDATA) {
        auto* holder = lua::testUserdata<ContextHolder>(L, -1, kHolderMeta);
        lua_pop(L, 1);
        if (holder && holder->object)
            return holder->object;
        return nullptr;
    }
    lua_pop(L, 1);
    lua::pushMetatable<ContextHolder>(L, kHolderMeta, nullptr);
    lua_pop(L, 1);
    auto* holder = lua::newUserdata<ContextHolder>(L, kHolderMeta);
    holder->object = new QObject;
    holder->object->setObjectName(u"lunette.net"_s);
    lua_setfield(L, LUA_REGISTRYINDEX, kContextKey);
    return holder->object;
}

SessionRef::SessionRef(lua_State* L)
{
    if (TaskRunner* runner = TaskRunner::from(L))
        m_core = runner->core();
}

bool SessionRef::alive() const
{
    auto core = m_core.lock();
    return core && core->runner;
}

lua_State* SessionRef::state() const
{
    auto core = m_core.lock();
    return core && core->runner ? core->runner->lua().state() : nullptr;
}

void Anchor::hold(lua_State* L, int idx)
{
    if (m_ref != LUA_NOREF)
        return;
    lua_pushvalue(L, idx);
    m_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

void Anchor::release(const SessionRef& session)
{
    if (m_ref == LUA_NOREF)
        return;
    if (lua_State* L = session.state())
        luaL_unref(L, LUA_REGISTRYINDEX, m_ref);
    m_ref = LUA_NOREF;
}

int failEnded(lua_State* L, const char* what)
{
    return failWith(
        L, ErrorKind::Canceled, u"%1: the session ended"_s.arg(QString::fromLatin1(what)));
}

ResultPusher failure(ErrorKind kind, const QString& message)
{
    return [kind, message](lua_State* L) { return failWith(L, kind, message); };
}

std::optional<int> timeoutField(lua_State* L, int idx, const char* name, int arg)
{
    if (lua_isnoneornil(L, idx))
        return std::nullopt;
    lua_getfield(L, idx, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return std::nullopt;
    }
    int isNumber = 0;
    const lua_Number ms = lua_tonumberx(L, -1, &isNumber);
    lua_pop(L, 1);
    if (!isNumber || !std::isfinite(ms) || ms <= 0) {
        luaL_argerror(
            L, arg, lua_pushfstring(L, "'%s' must be a positive number of milliseconds", name));
        return std::nullopt;
    }
    return static_cast<int>(std::min(std::ceil(ms), 2147483647.0));
}

std::optional<int> timeoutArg(lua_State* L, int arg)
{
    if (lua_isnoneornil(L, arg))
        return std::nullopt;
    const lua_Number ms = luaL_checknumber(L, arg);
    if (!std::isfinite(ms) || ms <= 0)
        luaL_argerror(L, arg, "timeout must be a positive number of milliseconds");
    return static_cast<int>(std::min(std::ceil(ms), 2147483647.0));
}

bool isToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
        if (!ok)
            return false;
    }
    return true;
}

bool readHeaders(
    lua_State* L, int idx, int arg, QList<QPair<QByteArray, QByteArray>>& headers, QString* invalid)
{
    bool ok = true;
    const int type = lua_getfield(L, idx, "headers");
    if (type != LUA_TNIL && type != LUA_TTABLE)
        luaL_argerror(L, arg, "'headers' must be a table of name = value");
    if (type == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
            if (lua_type(L, -2) != LUA_TSTRING
                || (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
                luaL_argerror(L, arg, "'headers' must map names (strings) to strings");
            const QByteArray name = lua::toBytes(L, -2);
            const QByteArray value = lua::toBytes(L, -1);
            if (ok && !isToken(name)) {
                *invalid = u"not a valid header name: '%1'"_s.arg(QString::fromUtf8(name));
                ok = false;
            } else if (ok
                && (value.contains('\r') || value.contains('\n') || value.contains('\0'))) {
                *invalid = u"the value of header '%1' contains a line break"_s.arg(
                    QString::fromUtf8(name));
                ok = false;
            }
            headers.append({ name, value });
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    return ok;
}

void later(QObject* ctx, std::function<void()> fn)
{
    if (ctx)
        QMetaObject::invokeMethod(ctx, std::move(fn), Qt::QueuedConnection);
}

void Waiters::add(Resumer resume, std::optional<int> timeoutMs, QObject* timerParent,
    const QString& what, int mode, qint64 count)
{
    Waiter waiter { m_nextId++, resume, nullptr, mode, count };
    const std::weak_ptr<Waiters> self = weak_from_this();
    const quint64 id = waiter.id;
    if (timeoutMs) {
        auto* timer = new QTimer(timerParent);
        timer->setSingleShot(true);
        QObject::connect(timer, &QTimer::timeout, timer, [self, id, resume, what, ms = *timeoutMs] {
            if (auto waiters = self.lock())
                waiters->remove(id);
            resume(failure(ErrorKind::Timeout, u"%1 timed out after %2 ms"_s.arg(what).arg(ms)));
        });
        timer->start(*timeoutMs);
        waiter.timer = timer;
    }
    resume.onCancel([self, id] {
        if (auto waiters = self.lock())
            waiters->remove(id);
    });
    m_waiters.push_back(std::move(waiter));
}

Resumer Waiters::takeFront()
{
    Waiter waiter = std::move(m_waiters.front());
    m_waiters.pop_front();
    if (waiter.timer)
        waiter.timer->deleteLater();
    return waiter.resume;
}

void Waiters::failAll(ErrorKind kind, const QString& message)
{
    while (!m_waiters.empty())
        takeFront()(failure(kind, message));
}

void Waiters::remove(quint64 id)
{
    for (auto it = m_waiters.begin(); it != m_waiters.end(); ++it) {
        if (it->id == id) {
            if (it->timer)
                it->timer->deleteLater();
            m_waiters.erase(it);
            return;
        }
    }
}

} // namespace lunette::net

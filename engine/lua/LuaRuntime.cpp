#include "LuaRuntime.h"

#include "LuaState.h"

namespace lunette::lua {

void pushString(lua_State* L, QStringView text)
{
    const QByteArray utf8 = text.toUtf8();
    lua_pushlstring(L, utf8.constData(), static_cast<size_t>(utf8.size()));
}

QString toQString(lua_State* L, int idx)
{
    size_t len = 0;
    const char* s = lua_tolstring(L, idx, &len);
    return s ? QString::fromUtf8(s, static_cast<qsizetype>(len)) : QString();
}

QByteArray toBytes(lua_State* L, int idx)
{
    size_t len = 0;
    const char* s = lua_tolstring(L, idx, &len);
    return s ? QByteArray(s, static_cast<qsizetype>(len)) : QByteArray();
}

QString checkQString(lua_State* L, int arg)
{
    size_t len = 0;
    const char* s = luaL_checklstring(L, arg, &len);
    return QString::fromUtf8(s, static_cast<qsizetype>(len));
}

QString optQString(lua_State* L, int arg, const QString& def)
{
    if (lua_isnoneornil(L, arg))
        return def;
    return checkQString(L, arg);
}

QString toDisplayString(lua_State* L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, [](lua_State* S) -> int {
        luaL_tolstring(S, 1, nullptr);
        return 1;
    });
    lua_pushvalue(L, idx);
    auto result = LuaState::from(L)->callOn(L, 1, 1);
    if (!result)
        return QStringLiteral("(error in __tostring: %1)").arg(result.error().message);
    QString text = toQString(L, -1);
    lua_pop(L, 1);
    return text;
}

int detail::readOnlyNewIndex(lua_State* L)
{
    return luaL_error(
        L, "attempt to modify read-only table '%s'", lua_tostring(L, lua_upvalueindex(1)));
}

void pushReadOnly(lua_State* L, int idx, const char* name)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L); // the proxy
    lua_createtable(L, 0, 4); // its metatable
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_pushcclosure(L, &detail::readOnlyNewIndex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

} // namespace lunette::lua

namespace lunette::lua {

int callOnMainThread(lua_State* L, lua_CFunction impl)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
    lua_State* main = lua_tothread(L, -1);
    lua_pop(L, 1);
    if (main == L)
        return impl(L);
    const int nargs = lua_gettop(L);
    luaL_checkstack(main, nargs + 2, "callOnMainThread");
    const int base = lua_gettop(main);
    lua_pushvalue(L, lua_upvalueindex(1)); // nil when impl has no upvalue
    lua_xmove(L, main, 1);
    lua_pushcclosure(main, impl, 1); // main: …, closure
    lua_xmove(L, main, nargs); // main: …, closure, args…
    if (lua_pcall(main, nargs, LUA_MULTRET, 0) != LUA_OK) {
        lua_xmove(main, L, 1);
        lua_settop(main, base);
        return lua_error(L);
    }
    const int nresults = lua_gettop(main) - base;
    luaL_checkstack(L, nresults, "callOnMainThread");
    lua_xmove(main, L, nresults);
    return nresults;
}

} // namespace lunette::lua

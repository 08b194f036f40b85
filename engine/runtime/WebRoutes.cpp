#include "WebRoutes.h"

#include <lua.hpp>

#include "lua/LuaRuntime.h"
#include "lua/LuaStackGuard.h"

using namespace Qt::StringLiterals;

namespace lunette::web {

namespace {

constexpr const char* kRoutesKey = "lunette.web.routes";
const QStringList kMethods { u"GET"_s, u"POST"_s, u"PUT"_s, u"PATCH"_s, u"DELETE"_s };

// Pushes the route table, made on first use: key → { fn = handler, owner = "lua/main.lua" }.
void pushRoutes(lua_State* L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, kRoutesKey) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, kRoutesKey);
}

QString routeKey(const QString& method, const QString& path)
{
    return method + u' ' + path;
}

} // namespace

bool isRouteMethod(QStringView method)
{
    return kMethods.contains(method);
}

void addRoute(
    lua_State* L, const QString& method, const QString& path, int fnIdx, const QString& owner)
{
    fnIdx = lua_absindex(L, fnIdx);
    pushRoutes(L);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, fnIdx);
    lua_setfield(L, -2, "fn");
    lua::pushString(L, owner);
    lua_setfield(L, -2, "owner");
    lua::pushString(L, routeKey(method, path));
    lua_insert(L, -2);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

void takeRoutesOf(lua_State* L, const QString& owner)
{
    lua_newtable(L); // what was taken
    pushRoutes(L);
    QStringList taken;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_getfield(L, -1, "owner");
        if (lua::toQString(L, -1) == owner) {
            taken.append(lua::toQString(L, -3));
            lua_pushvalue(L, -3); // key
            lua_pushvalue(L, -3); // entry
            lua_rawset(L, -7); // into the taken table
        }
        lua_pop(L, 2); // owner, entry
    }
    for (const QString& key : std::as_const(taken)) { // removed after the walk
        lua::pushString(L, key);
        lua_pushnil(L);
        lua_rawset(L, -3);
    }
    lua_pop(L, 1); // the routes
}

void restoreRoutes(lua_State* L, int idx)
{
    idx = lua_absindex(L, idx);
    pushRoutes(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_pop(L, 1);
}

Lookup findRoute(lua_State* L, const QString& method, const QString& path)
{
    Lookup lookup;
    pushRoutes(L);
    lua::pushString(L, routeKey(method, path));
    if (lua_rawget(L, -2) == LUA_TTABLE) {
        lua_getfield(L, -1, "fn");
        lua_replace(L, -3); // over the routes table
        lua_pop(L, 1);
        lookup.kind = Lookup::Kind::Found;
        return lookup;
    }
    lua_pop(L, 2);
    for (const QString& other : kMethods) {
        pushRoutes(L);
        lua::pushString(L, routeKey(other, path));
        if (lua_rawget(L, -2) == LUA_TTABLE)
            lookup.allowed.append(other);
        lua_pop(L, 2);
    }
    if (!lookup.allowed.isEmpty())
        lookup.kind = Lookup::Kind::WrongMethod;
    return lookup;
}

QStringList routeKeys(lua_State* L)
{
    LuaStackGuard guard(L);
    QStringList keys;
    pushRoutes(L);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        keys.append(lua::toQString(L, -2));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    keys.sort();
    return keys;
}

} // namespace lunette::web

#pragma once

// The HTTP routes a lua_State registered with the `web` module (modules/lua_web.cpp), kept in
// the state's registry: "METHOD path" → the handler and the file that registered it. Every
// session has its own table; the site's service session's is the one requests are dispatched to
// (engine/session/WebService.h). Executor thread only, like the state.

#include <QString>
#include <QStringList>
#include <QStringView>

struct lua_State;

namespace lunette::web {

// The methods a route may take.
bool isRouteMethod(QStringView method);

// Adds (or replaces) the route; owner is the tracking key of the file that registered it
// ("lua/main.lua"). fnIdx: the handler.  [-0, +0, m]
void addRoute(
    lua_State* L, const QString& method, const QString& path, int fnIdx, const QString& owner);

// Takes the routes `owner` registered out of the table, before that file is run again, and pushes
// them as a table (to put back with restoreRoutes if the new run fails).  [-0, +1, m]
void takeRoutesOf(lua_State* L, const QString& owner);
// Puts back what takeRoutesOf pushed (at idx), replacing routes of the same key.  [-0, +0, m]
void restoreRoutes(lua_State* L, int idx);

struct Lookup
{
    enum class Kind
    {
        Found, // the handler was pushed
        WrongMethod, // the path has routes, for other methods (allowed)
        NotFound,
    };
    Kind kind = Kind::NotFound;
    QStringList allowed;
};
// Pushes the handler of method + path when there is one.  [-0, +(0|1), m]
Lookup findRoute(lua_State* L, const QString& method, const QString& path);

// Every registered "METHOD path", sorted.
QStringList routeKeys(lua_State* L);

} // namespace lunette::web

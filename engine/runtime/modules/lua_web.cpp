// web ("web" permission): HTTP routes written in Lua (docs/API.md "Routes in Lua").
//
//   local web = require("web")
//   web.route("GET", web.prefix .. "/ping", function(req) return { json = { ok = true } } end)
//
// Routes live under the site's prefix (lunette.json "web.prefix", "/hooks" by default). They are
// registered by every session that runs the code, and answered by the site's service session
// (engine/session/WebService.h); a hot reload of the file that registered them replaces them.

#include <lua.hpp>

#include "lua/LuaRuntime.h"
#include "runtime/Module.h"
#include "runtime/WebRoutes.h"
#include "session/Session.h"
#include "site/Site.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

// The tracking key of the file whose code called web.route ("lua/main.lua"), from its chunk
// name ("@lua/main.lua" or "lua/main.lua"); "" when it is not a file (the console).
QString callerFile(lua_State* L)
{
    lua_Debug ar;
    if (!lua_getstack(L, 1, &ar) || !lua_getinfo(L, "S", &ar) || !ar.source)
        return {};
    QString source = QString::fromUtf8(ar.source);
    if (source.startsWith(u'@') || source.startsWith(u'='))
        source.remove(0, 1);
    return source;
}

// web.route(method, path, handler)
int route(lua_State* L)
{
    luaL_checkstring(L, 1);
    const QString method = lua::toQString(L, 1).toUpper();
    const QString path = QString::fromUtf8(luaL_checkstring(L, 2));
    luaL_checktype(L, 3, LUA_TFUNCTION);
    if (!web::isRouteMethod(method))
        return luaL_error(L, "web.route: method must be GET, POST, PUT, PATCH or DELETE, not '%s'",
            lua_tostring(L, 1));
    const Session* session = Session::from(L);
    const QString prefix
        = session ? session->site().manifest().webPrefix : SiteManifest().webPrefix;
    if (!(path == prefix || path.startsWith(prefix + u'/')) || path.contains(u'?')
        || path.contains(u'#') || path.contains(u"/../"_s) || path.endsWith(u"/.."_s)
        || path.contains(u"//"_s))
        return luaL_error(L,
            "web.route: the path must be the site's prefix %s or a path below it (no query), "
            "not '%s'",
            qUtf8Printable(prefix), qUtf8Printable(path));
    web::addRoute(L, method, path, 3, callerFile(L));
    return 0;
}

// web.routes(): the registered routes, "GET /hooks/ping", sorted.
int routes(lua_State* L)
{
    const QStringList keys = web::routeKeys(L);
    lua_createtable(L, static_cast<int>(keys.size()), 0);
    for (qsizetype i = 0; i < keys.size(); ++i) {
        lua::pushString(L, keys.at(i));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

int build(lua_State* L)
{
    static const luaL_Reg functions[] = {
        { "route", route },
        { "routes", routes },
        { nullptr, nullptr },
    };
    luaL_newlib(L, functions);
    const Session* session = Session::from(L);
    lua::pushString(L, session ? session->site().manifest().webPrefix : SiteManifest().webPrefix);
    lua_setfield(L, -2, "prefix");
    return 1;
}

} // namespace

extern const ModuleDef kWebModule {
    "web",
    "HTTP routes answered by Lua, under the site's prefix",
    Capability::Web,
    build,
    R"lua(---@meta web
local web = {}

---The site's route prefix (lunette.json "web.prefix", "/hooks" by default).
---@type string
web.prefix = "/hooks"

---@class web.Request
---@field method string "GET", "POST", …
---@field path string the decoded path, e.g. "/hooks/ping"
---@field query table<string, string> the query's parameters (the last of repeated ones)
---@field headers table<string, string> request headers, names in lower case
---@field body string the request body ("" when none)

---@class web.Response
---@field status? integer default 200
---@field headers? table<string, string>
---@field body? string the body as it is
---@field json? any the body as JSON (Content-Type application/json)

---Registers (or replaces) a route: `handler(req)` runs as a turn of the site's service session
---(its changes reach that session's pages), may wait (time.sleep, http…), and returns a
---response table, a string (text/plain), or nothing (204). An error answers 500 with the
---message. Requests need the launch token like the rest of the server.
---@param method "GET"|"POST"|"PUT"|"PATCH"|"DELETE"
---@param path string web.prefix or a path below it
---@param handler fun(req: web.Request): web.Response|string|nil
function web.route(method, path, handler) end

---The registered routes ("GET /hooks/ping"), sorted.
---@return string[]
function web.routes() end

return web
)lua",
};

} // namespace lunette

// log (nondeterministic): leveled lines to the session's log (the app's Log dock) and stderr.
//
//   log.debug(fmt, ...), log.info(fmt, ...), log.warn(fmt, ...), log.error(fmt, ...)
//
// With more than one argument the first is a string.format pattern; a single argument is shown
// with tostring.

#include <lua.hpp>

#include "lua/LuaRuntime.h"
#include "runtime/Module.h"
#include "session/Session.h"

namespace lunette {

namespace {

int write(lua_State* L, int level)
{
    QString text;
    if (lua_gettop(L) <= 1) {
        text = lua::toDisplayString(L, 1);
    } else {
        luaL_checkstring(L, 1);
        lua_getglobal(L, "string");
        lua_getfield(L, -1, "format");
        lua_insert(L, 1);
        lua_pop(L, 1); // string table
        lua_call(L, lua_gettop(L) - 1, 1);
        text = lua::toDisplayString(L, -1);
    }
    if (Session* session = Session::from(L))
        session->log(level, text);
    else
        qInfo("lua: %s", qUtf8Printable(text));
    return 0;
}

int debug(lua_State* L)
{
    return write(L, Session::LogDebug);
}
int info(lua_State* L)
{
    return write(L, Session::LogInfo);
}
int warn(lua_State* L)
{
    return write(L, Session::LogWarning);
}
int error(lua_State* L)
{
    return write(L, Session::LogError);
}

int build(lua_State* L)
{
    static const luaL_Reg functions[] = {
        { "debug", debug },
        { "info", info },
        { "warn", warn },
        { "error", error },
        { nullptr, nullptr },
    };
    luaL_newlib(L, functions);
    return 1;
}

} // namespace

extern const ModuleDef kLogModule {
    "log",
    "Leveled log lines to the Log dock and stderr",
    Capability::Nondeterministic,
    build,
    R"lua(---@meta log
local log = {}

---Logs at debug level. With more arguments, `format` is a string.format pattern.
---@param format any
---@param ... any
function log.debug(format, ...) end

---Logs at info level.
---@param format any
---@param ... any
function log.info(format, ...) end

---Logs a warning.
---@param format any
---@param ... any
function log.warn(format, ...) end

---Logs an error.
---@param format any
---@param ... any
function log.error(format, ...) end

return log
)lua",
};

} // namespace lunette

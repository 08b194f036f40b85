// The `session` global (ui-engine digest §5.2) and the timer globals (LUA_API.md "Timers as
// globals"). Every function has the Session as upvalue 1; session functions are called with ':'
// and the timer functions work both as session:setTimeout(fn, ms) and setTimeout(fn, ms).

#include <chrono>
#include <utility>
#include <vector>

#include <QByteArray>

#include "SessionApi.h"
#include "lua/LuaRuntime.h"
#include "session/Session.h"
#include "variables/VariableTree.h"

using namespace Qt::StringLiterals;

namespace lunette::api {

namespace {

constexpr const char* kAppKey = "lunette.app"; // registry: the table getApp() returns

Session* sessionOf(lua_State* L)
{
    return static_cast<Session*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// Index of the first real argument: 2 when called as session:f(...), else 1.
int firstArg(lua_State* L)
{
    lua_getglobal(L, "session");
    const bool method = lua_gettop(L) > 1 && lua_rawequal(L, 1, -1);
    lua_pop(L, 1);
    return method ? 2 : 1;
}

// A props table {name = "value"} as pairs; numbers and booleans become their text.
std::vector<std::pair<QByteArray, QByteArray>> propsArg(lua_State* L, int arg)
{
    std::vector<std::pair<QByteArray, QByteArray>> props;
    if (lua_isnoneornil(L, arg))
        return props;
    luaL_checktype(L, arg, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, arg) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            QByteArray value;
            if (lua_type(L, -1) == LUA_TBOOLEAN)
                value = lua_toboolean(L, -1) ? "true" : "false";
            else if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)
                value = lua::toBytes(L, -1);
            else
                luaL_error(L, "property '%s' must be a string", lua_tostring(L, -2));
            props.emplace_back(lua::toBytes(L, -2), value);
        }
        lua_pop(L, 1);
    }
    return props;
}

// A variable given by id or by the object it holds.
variables::Variable* variableArg(Session* s, lua_State* L, int arg)
{
    if (lua_isinteger(L, arg))
        return s->tree().findSessionVariable(lua_tointeger(L, arg));
    if (lua_istable(L, arg))
        return s->tree().findByValue(arg);
    return nullptr;
}

int createAppVariable(lua_State* L)
{
    Session* s = sessionOf(L);
    const int arg = firstArg(L);
    luaL_checkany(L, arg);
    const auto props = propsArg(L, arg + 1);
    variables::VarError error;
    variables::Variable* v = s->tree().createFromLua(nullptr, arg, props, &error);
    if (!v)
        return luaL_error(L, "createAppVariable: %s", error.description.toUtf8().constData());
    lua_pushvalue(L, arg);
    lua_setfield(L, LUA_REGISTRYINDEX, kAppKey);
    lua_pushinteger(L, v->id);
    return 1;
}

int getApp(lua_State* L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, kAppKey);
    return 1;
}

int createVariable(lua_State* L)
{
    Session* s = sessionOf(L);
    const int arg = firstArg(L);
    luaL_checkany(L, arg + 1);
    variables::Variable* parent = nullptr;
    if (!(lua_isinteger(L, arg) && lua_tointeger(L, arg) == 0) && !lua_isnil(L, arg)) {
        parent = variableArg(s, L, arg);
        if (!parent)
            return luaL_error(L, "createVariable: parent variable not found");
    }
    const auto props = propsArg(L, arg + 2);
    variables::VarError error;
    variables::Variable* v = s->tree().createFromLua(parent, arg + 1, props, &error);
    if (!v)
        return luaL_error(L, "createVariable: %s", error.description.toUtf8().constData());
    lua_pushinteger(L, v->id);
    return 1;
}

int destroyVariable(lua_State* L)
{
    Session* s = sessionOf(L);
    const int arg = firstArg(L);
    variables::Variable* v = variableArg(s, L, arg);
    if (!v) {
        lua_pushboolean(L, false);
        return 1;
    }
    std::vector<qint64> ids;
    s->tree().destroy(v, &ids);
    s->notifyDestroyed(ids);
    lua_pushboolean(L, true);
    return 1;
}

int addTimer(lua_State* L, bool repeat, bool immediate)
{
    Session* s = sessionOf(L);
    const int arg = firstArg(L);
    luaL_checktype(L, arg, LUA_TFUNCTION);
    const lua_Integer ms = immediate ? 0 : luaL_optinteger(L, arg + 1, 0);
    const auto delay = std::chrono::milliseconds(std::max<lua_Integer>(ms, 0));
    lua_pushinteger(L, s->addTimer(arg, delay, repeat));
    return 1;
}

int setTimeout(lua_State* L)
{
    return addTimer(L, false, false);
}
int setInterval(lua_State* L)
{
    return addTimer(L, true, false);
}
int setImmediate(lua_State* L)
{
    return addTimer(L, false, true);
}

int clearTimer(lua_State* L)
{
    Session* s = sessionOf(L);
    const int arg = firstArg(L);
    if (lua_isinteger(L, arg))
        s->clearTimer(lua_tointeger(L, arg));
    return 0;
}

// Run on the main thread's stack (lua::onMainThread): the C++ side (VariableTree, LuaRef) works
// there, and user code calls these from task coroutines.
const luaL_Reg kSessionFunctions[] = {
    { "createAppVariable", lua::onMainThread<createAppVariable> },
    { "getApp", lua::onMainThread<getApp> },
    { "createVariable", lua::onMainThread<createVariable> },
    { "destroyVariable", lua::onMainThread<destroyVariable> },
    { "setTimeout", lua::onMainThread<setTimeout> },
    { "setInterval", lua::onMainThread<setInterval> },
    { "setImmediate", lua::onMainThread<setImmediate> },
    { "clearTimeout", lua::onMainThread<clearTimer> },
    { "clearInterval", lua::onMainThread<clearTimer> },
    { "clearImmediate", lua::onMainThread<clearTimer> },
    { nullptr, nullptr },
};

const char* const kTimerGlobals[] = { "setTimeout", "setInterval", "setImmediate", "clearTimeout",
    "clearInterval", "clearImmediate" };

} // namespace

void openSession(lua_State* L, Session* session)
{
    lua_newtable(L);
    lua_pushlightuserdata(L, session);
    luaL_setfuncs(L, kSessionFunctions, 1);
    lua::pushString(L, session->vendedId());
    lua_setfield(L, -2, "_sessionID");
    lua_pushboolean(L, false);
    lua_setfield(L, -2, "reloading");
    for (const char* name : kTimerGlobals) {
        lua_getfield(L, -1, name);
        lua_setglobal(L, name);
    }
}

} // namespace lunette::api

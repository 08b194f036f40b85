// The `ui` global (ui-engine digest §5.5) and `diag` (§4.6). registerWrapper and
// registerPresenter are added by the prelude.

#include "SessionApi.h"
#include "lua/LuaJson.h"
#include "lua/LuaRuntime.h"
#include "session/Session.h"
#include "variables/VariableTree.h"

using namespace Qt::StringLiterals;

namespace lunette::api {

namespace {

Session* sessionOf(lua_State* L)
{
    return static_cast<Session*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// ui.log([level,] message)
int log(lua_State* L)
{
    int level = 0;
    int messageArg = 1;
    if (lua_gettop(L) >= 2 && lua_isinteger(L, 1)) {
        level = static_cast<int>(lua_tointeger(L, 1));
        messageArg = 2;
    }
    sessionOf(L)->log(level, u"[lua] "_s + lua::toDisplayString(L, messageArg));
    return 0;
}

int jsonEncode(lua_State* L)
{
    luaL_checkany(L, 1);
    auto encoded = LuaJson::encode(L, 1);
    if (!encoded) {
        lua_pushnil(L);
        lua::pushString(L, encoded.error());
        return 2;
    }
    lua::pushBytes(L, *encoded);
    return 1;
}

int jsonDecode(lua_State* L)
{
    size_t len = 0;
    const char* text = luaL_checklstring(L, 1, &len);
    if (auto decoded = LuaJson::decode(L, QByteArrayView(text, static_cast<qsizetype>(len)));
        !decoded) {
        lua_pushnil(L);
        lua::pushString(L, decoded.error());
        return 2;
    }
    return 1;
}

// diag(level, message): a diagnostic attached to the variable being computed (shown in the
// variable browser); outside a computation it goes to the session log.
int diag(lua_State* L)
{
    Session* s = sessionOf(L);
    const lua_Integer level = luaL_optinteger(L, 1, 0);
    const QString text = lua::toDisplayString(L, 2);
    if (variables::Variable* v = s->tree().computing())
        s->tree().addDiag(v, text);
    else
        s->log(static_cast<int>(level), u"[diag] "_s + text);
    return 0;
}

const luaL_Reg kUiFunctions[] = {
    { "log", lua::onMainThread<log> },
    { "json_encode", jsonEncode },
    { "json_decode", jsonDecode },
    { nullptr, nullptr },
};

} // namespace

void openUi(lua_State* L, Session* session)
{
    lua_pushlightuserdata(L, session);
    lua_pushcclosure(L, lua::onMainThread<diag>, 1);
    lua_setglobal(L, "diag");
    lua_newtable(L);
    lua_pushlightuserdata(L, session);
    luaL_setfuncs(L, kUiFunctions, 1);
}

} // namespace lunette::api

#include "Errors.h"

#include <lua.hpp>

#include "lua/LuaRuntime.h"

namespace lunette {

namespace {

constexpr const char* kErrorMeta = "lunette.error";

int errorToString(lua_State* L)
{
    lua_getfield(L, 1, "kind");
    lua_getfield(L, 1, "message");
    lua_pushfstring(L, "%s: %s", luaL_optstring(L, -2, "error"), luaL_optstring(L, -1, ""));
    return 1;
}

void pushErrorMetatable(lua_State* L)
{
    if (luaL_newmetatable(L, kErrorMeta)) {
        lua_pushcfunction(L, errorToString);
        lua_setfield(L, -2, "__tostring");
    }
}

} // namespace

const char* errorKindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::Invalid:
        return "invalid";
    case ErrorKind::NotFound:
        return "not_found";
    case ErrorKind::PermissionDenied:
        return "permission_denied";
    case ErrorKind::Timeout:
        return "timeout";
    case ErrorKind::Network:
        return "network";
    case ErrorKind::Io:
        return "io";
    case ErrorKind::Internal:
        return "internal";
    case ErrorKind::Canceled:
        return "canceled";
    }
    return "internal";
}

bool defaultRetryable(ErrorKind kind)
{
    return kind == ErrorKind::Timeout || kind == ErrorKind::Network;
}

void pushError(lua_State* L, ErrorKind kind, const QString& message)
{
    pushError(L, kind, message, defaultRetryable(kind));
}

void pushError(lua_State* L, ErrorKind kind, const QString& message, bool retryable)
{
    lua_createtable(L, 0, 3);
    lua_pushstring(L, errorKindName(kind));
    lua_setfield(L, -2, "kind");
    lua::pushString(L, message);
    lua_setfield(L, -2, "message");
    lua_pushboolean(L, retryable);
    lua_setfield(L, -2, "retryable");
    pushErrorMetatable(L);
    lua_setmetatable(L, -2);
}

int failWith(lua_State* L, ErrorKind kind, const QString& message)
{
    lua_pushnil(L);
    pushError(L, kind, message);
    return 2;
}

} // namespace lunette

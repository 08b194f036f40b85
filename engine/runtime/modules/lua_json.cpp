// json (deterministic): JSON text <-> Lua values with the engine's encoder (LuaJson: the same
// rules as variable values, PROTOCOL.md "Value JSON").
//
//   json.encode(v [, {pretty = true}]) -> text | nil, err
//   json.decode(text [, {null = json.null}]) -> value | nil, err   (null -> nil unless asked)
//   json.null                                  a value that encodes as null
//   json.array(t) -> t                         marks t as an array (`{}` then encodes as [])
//   json.object(t) -> t                        marks t as an object (`{}` then encodes as {})

#include <lua.hpp>

#include "lua/LuaJson.h"
#include "lua/LuaRuntime.h"
#include "runtime/Errors.h"
#include "runtime/Module.h"

namespace lunette {

namespace {

int encode(lua_State* L)
{
    luaL_checkany(L, 1);
    LuaJson::EncodeOptions options;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        options.pretty = lua_getfield(L, 2, "pretty") != LUA_TNIL && lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    auto encoded = LuaJson::encode(L, 1, options);
    if (!encoded)
        return failWith(L, ErrorKind::Invalid, encoded.error());
    lua::pushBytes(L, *encoded);
    return 1;
}

int decode(lua_State* L)
{
    size_t len = 0;
    const char* text = luaL_checklstring(L, 1, &len);
    LuaJson::DecodeOptions options;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "null"); // stays on the stack while decoding
        if (!lua_isnil(L, -1))
            options.nullValue = lua_gettop(L);
    }
    auto decoded = LuaJson::decode(L, QByteArrayView(text, static_cast<qsizetype>(len)), options);
    if (!decoded)
        return failWith(L, ErrorKind::Invalid, decoded.error());
    return 1;
}

int markWith(lua_State* L, void (*pushMarker)(lua_State*))
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (lua_getmetatable(L, 1)) {
        pushMarker(L);
        if (!lua_rawequal(L, -1, -2))
            return luaL_argerror(L, 1, "the table already has a metatable");
        lua_pop(L, 2);
    } else {
        pushMarker(L);
        lua_setmetatable(L, 1);
    }
    lua_settop(L, 1);
    return 1;
}

int array(lua_State* L)
{
    return markWith(L, LuaJson::pushArrayMarker);
}

int object(lua_State* L)
{
    return markWith(L, LuaJson::pushObjectMarker);
}

int build(lua_State* L)
{
    static const luaL_Reg functions[] = {
        { "encode", encode },
        { "decode", decode },
        { "array", array },
        { "object", object },
        { nullptr, nullptr },
    };
    luaL_newlib(L, functions);
    LuaJson::pushNull(L);
    if (!lua_getmetatable(L, -1)) {
        lua_createtable(L, 0, 3);
        lua_pushcfunction(L, [](lua_State* S) -> int {
            lua_pushliteral(S, "null");
            return 1;
        });
        lua_setfield(L, -2, "__tostring");
        lua_pushcfunction(
            L, [](lua_State* S) -> int { return luaL_error(S, "json.null is read-only"); });
        lua_setfield(L, -2, "__newindex");
        lua_pushliteral(L, "json.null");
        lua_setfield(L, -2, "__name");
        lua_setmetatable(L, -2);
    } else {
        lua_pop(L, 1);
    }
    lua_setfield(L, -2, "null");
    return 1;
}

} // namespace

extern const ModuleDef kJsonModule {
    "json",
    "JSON text to Lua values and back",
    Capability::Deterministic,
    build,
    R"lua(---@meta json
local json = {}

---Encodes a value as JSON text. Tables with positive integer keys are arrays, others objects.
---@param value any
---@param options? {pretty?: boolean}
---@return string? text
---@return lunette.Error? err
function json.encode(value, options) end

---Decodes JSON text. JSON null becomes nil, or `options.null` when given (e.g. json.null).
---@param text string
---@param options? {null?: any}
---@return any value
---@return lunette.Error? err
function json.decode(text, options) end

---Marks a table as a JSON array (an empty one encodes as []).
---@generic T: table
---@param t T
---@return T
function json.array(t) end

---Marks a table as a JSON object (an empty one encodes as {}).
---@generic T: table
---@param t T
---@return T
function json.object(t) end

---A value that encodes as JSON null.
json.null = {}

return json
)lua",
};

} // namespace lunette

#include "Module.h"

#include <algorithm>

#include <lua.hpp>

#include "lua/LuaRuntime.h"

using namespace Qt::StringLiterals;

namespace lunette {

// One binding file per module (modules/lua_*.cpp); listed here so the linker keeps them.
extern const ModuleDef kHttpModule;
extern const ModuleDef kJsonModule;
extern const ModuleDef kLogModule;
extern const ModuleDef kTimeModule;
extern const ModuleDef kTcpModule;
extern const ModuleDef kUdpModule;
extern const ModuleDef kWebsocketModule;
extern const ModuleDef kStorageModule;
extern const ModuleDef kFsModule;
extern const ModuleDef kWebModule;

namespace {

constexpr const char* kCacheKey = "lunette.modules"; // registry: name -> read-only proxy

int readOnlyWrite(lua_State* L)
{
    return luaL_error(L, "module '%s' is read-only: cannot set '%s'",
        lua_tostring(L, lua_upvalueindex(1)), luaL_tolstring(L, 2, nullptr));
}

int proxyPairs(lua_State* L)
{
    lua_pushcfunction(L, [](lua_State* S) -> int {
        luaL_checktype(S, 1, LUA_TTABLE);
        lua_settop(S, 2);
        return lua_next(S, 1) ? 2 : (lua_pushnil(S), 1);
    });
    lua_getiuservalue(L, 1, 1);
    lua_pushnil(L);
    return 3;
}

int proxyToString(lua_State* L)
{
    lua_pushfstring(L, "module: %s", lua_tostring(L, lua_upvalueindex(1)));
    return 1;
}

} // namespace

QString capabilityName(Capability capability)
{
    switch (capability) {
    case Capability::Deterministic:
        return u"deterministic"_s;
    case Capability::Nondeterministic:
        return u"nondeterministic"_s;
    case Capability::Io:
        return u"io"_s;
    case Capability::Network:
        return u"network"_s;
    case Capability::Storage:
        return u"storage"_s;
    case Capability::Fs:
        return u"fs"_s;
    case Capability::Web:
        return u"web"_s;
    }
    return QString();
}

bool alwaysGranted(Capability capability)
{
    return capability == Capability::Deterministic || capability == Capability::Nondeterministic;
}

const std::vector<const ModuleDef*>& builtinModules()
{
    static const std::vector<const ModuleDef*> modules = [] {
        std::vector<const ModuleDef*> list { &kHttpModule, &kJsonModule, &kLogModule, &kTimeModule,
            &kTcpModule, &kUdpModule, &kWebsocketModule, &kStorageModule, &kFsModule, &kWebModule };
        std::sort(list.begin(), list.end(),
            [](const ModuleDef* a, const ModuleDef* b) { return qstrcmp(a->name, b->name) < 0; });
        return list;
    }();
    return modules;
}

const ModuleDef* findBuiltinModule(QByteArrayView name)
{
    for (const ModuleDef* module : builtinModules()) {
        if (name == QByteArrayView(module->name))
            return module;
    }
    return nullptr;
}

QString permissionError(const ModuleDef& module)
{
    const QString capability = capabilityName(module.capability);
    return u"module '%1' needs the '%2' permission: add \"%2\" to permissions in lunette.json"_s
        .arg(QString::fromLatin1(module.name), capability);
}

void pushModule(lua_State* L, const ModuleDef& module)
{
    luaL_checkstack(L, 6, "pushModule");
    if (lua_getfield(L, LUA_REGISTRYINDEX, kCacheKey) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, kCacheKey);
    }
    if (lua_getfield(L, -1, module.name) != LUA_TNIL) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1); // cache

    lua_pushcfunction(L, module.build);
    lua_call(L, 0, 1); // exports
    luaL_checktype(L, -1, LUA_TTABLE);

    // The proxy: a userdata (so rawset cannot write to it) reading through to the exports.
    lua_newuserdatauv(L, 0, 1); // cache, exports, proxy
    lua_pushvalue(L, -2);
    lua_setiuservalue(L, -2, 1);
    lua_createtable(L, 0, 6); // metatable
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, module.name);
    lua_pushcclosure(L, readOnlyWrite, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, proxyPairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushstring(L, module.name);
    lua_pushcclosure(L, proxyToString, 1);
    lua_setfield(L, -2, "__tostring");
    lua_pushfstring(L, "module %s", module.name);
    lua_setfield(L, -2, "__name");
    lua_pushstring(L, "locked"); // getmetatable() sees this, not the exports
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_remove(L, -2); // cache, proxy
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, module.name);
    lua_remove(L, -2); // proxy
}

} // namespace lunette

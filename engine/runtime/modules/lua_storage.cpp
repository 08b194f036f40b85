// storage (capability "storage"): per-site persistent key/value, shared by every session of the
// site and kept in the site's data folder (runtime/DataDir.h, runtime/SiteStorage.h).
//
//   storage.get(key) -> value | nil | nil, err
//   storage.set(key, value) -> true | nil, err     value: anything json.encode takes; nil (or
//                                                   json.null) deletes the key
//   storage.delete(key) -> true | nil, err
//   storage.keys() -> {key, ...} (sorted) | nil, err
//
// A key is a non-empty UTF-8 string of at most 256 bytes; a key of another type raises (misuse),
// a bad string key gives `nil, err` (kind invalid). Values that JSON cannot hold and a store
// that would grow beyond 16 MiB are `invalid`; a data folder that cannot be written is `io`.

#include <memory>

#include <lua.hpp>

#include "lua/LuaJson.h"
#include "lua/LuaRuntime.h"
#include "runtime/DataDir.h"
#include "runtime/Errors.h"
#include "runtime/Module.h"
#include "runtime/SiteStorage.h"
#include "session/Session.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

constexpr const char* kStoreRefName = "lunette.storage";

// The upvalue every function shares: the site's store, found on first use.
struct StoreRef
{
    std::shared_ptr<SiteStorage> store;
};

// The store of this state's site, or nullptr with nil, err pushed (no session).  [-0, +(0|2), m]
SiteStorage* storeOf(lua_State* L)
{
    auto* ref = lua::testUserdata<StoreRef>(L, lua_upvalueindex(1), kStoreRefName);
    Session* session = Session::from(L);
    if (!ref || !session) {
        failWith(L, ErrorKind::Internal, u"storage works only inside a site's session"_s);
        return nullptr;
    }
    if (!ref->store)
        ref->store = SiteStorage::forDirectory(siteDataDirectory(session->site()));
    return ref->store.get();
}

// After an operation: a corrupt file set aside at load goes to the session's log too.
void reportWarning(lua_State* L, SiteStorage& store)
{
    const QString warning = store.takeWarning();
    if (warning.isEmpty())
        return;
    if (Session* session = Session::from(L))
        session->log(Session::LogWarning, warning);
}

QByteArray checkKey(lua_State* L, int arg)
{
    if (lua_type(L, arg) != LUA_TSTRING)
        luaL_typeerror(L, arg, "string");
    return lua::toBytes(L, arg);
}

int fail(lua_State* L, const SiteStorage::Failure& failure)
{
    return failWith(L,
        failure.kind == SiteStorage::Failure::Kind::Invalid ? ErrorKind::Invalid : ErrorKind::Io,
        failure.message);
}

int get(lua_State* L)
{
    const QByteArray key = checkKey(L, 1);
    SiteStorage* store = storeOf(L);
    if (!store)
        return 2;
    auto value = store->get(key);
    reportWarning(L, *store);
    if (!value)
        return fail(L, value.error());
    if (!*value) {
        lua_pushnil(L);
        return 1;
    }
    if (auto decoded = LuaJson::decode(L, **value); !decoded)
        return failWith(L, ErrorKind::Internal, decoded.error());
    return 1;
}

int set(lua_State* L)
{
    const QByteArray key = checkKey(L, 1);
    luaL_checkany(L, 2);
    SiteStorage* store = storeOf(L);
    if (!store)
        return 2;
    auto encoded = LuaJson::encode(L, 2);
    if (!encoded) {
        return failWith(L, ErrorKind::Invalid,
            u"storage.set: the value cannot be stored as JSON: "_s + encoded.error());
    }
    auto written = store->set(key, *encoded);
    reportWarning(L, *store);
    if (!written)
        return fail(L, written.error());
    lua_pushboolean(L, 1);
    return 1;
}

int remove(lua_State* L)
{
    const QByteArray key = checkKey(L, 1);
    SiteStorage* store = storeOf(L);
    if (!store)
        return 2;
    auto removed = store->remove(key);
    reportWarning(L, *store);
    if (!removed)
        return fail(L, removed.error());
    lua_pushboolean(L, 1);
    return 1;
}

int keys(lua_State* L)
{
    SiteStorage* store = storeOf(L);
    if (!store)
        return 2;
    auto all = store->keys();
    reportWarning(L, *store);
    if (!all)
        return fail(L, all.error());
    lua_createtable(L, static_cast<int>(all->size()), 0);
    lua_Integer i = 0;
    for (const QByteArray& key : *all) {
        lua::pushBytes(L, key);
        lua_rawseti(L, -2, ++i);
    }
    LuaJson::pushArrayMarker(L); // json.encode(storage.keys()) is an array even when empty
    lua_setmetatable(L, -2);
    return 1;
}

int build(lua_State* L)
{
    static const luaL_Reg functions[] = {
        { "get", get },
        { "set", set },
        { "delete", remove },
        { "keys", keys },
        { nullptr, nullptr },
    };
    lua::pushMetatable<StoreRef>(L, kStoreRefName, nullptr);
    lua_pop(L, 1);
    luaL_newlibtable(L, functions);
    lua::newUserdata<StoreRef>(L, kStoreRefName);
    luaL_setfuncs(L, functions, 1);
    return 1;
}

} // namespace

extern const ModuleDef kStorageModule {
    "storage",
    "Per-site persistent key/value store (JSON values)",
    Capability::Storage,
    build,
    R"lua(---@meta storage
local storage = {}

---The value stored under key, or nil when there is none.
---@param key string non-empty, at most 256 bytes
---@return any value
---@return lunette.Error? err
function storage.get(key) end

---Stores a value (anything json.encode takes) under key, on disk before it returns; nil
---deletes the key. Every session of the site sees it at once, and it survives restarts.
---@param key string non-empty, at most 256 bytes
---@param value any
---@return true? ok
---@return lunette.Error? err
function storage.set(key, value) end

---Deletes key (nothing happens when it is not there).
---@param key string
---@return true? ok
---@return lunette.Error? err
function storage.delete(key) end

---Every key, sorted.
---@return string[]? keys
---@return lunette.Error? err
function storage.keys() end

return storage
)lua",
};

} // namespace lunette

// fs (capability "fs"): files inside the site's data folder only (runtime/DataDir.h says where
// it is; runtime/SiteFiles.h has the path rules).
//
//   fs.read(path) -> string | nil, err
//   fs.write(path, data) -> true | nil, err       atomic; creates the parent folders
//   fs.append(path, data) -> true | nil, err      creates the file and its parent folders
//   fs.list([path]) -> {{name=, type="file"|"dir", size=}, ...} (sorted by name) | nil, err
//   fs.exists(path) -> boolean | nil, err
//   fs.remove(path) -> true | nil, err            a file or an empty folder
//   fs.mkdir(path) -> true | nil, err             with its parents; true when it exists
//
// A path that leaves the data folder (absolute, '..', backslash, NUL, a link leading outside) is
// `permission_denied`; a missing file `not_found`; a folder where a file is needed (or the
// reverse), a non-empty folder to remove or a file over 64 MiB `invalid`; a failing disk `io`.
// A path or data that is not a string raises.

#include <optional>

#include <lua.hpp>

#include "lua/LuaJson.h"
#include "lua/LuaRuntime.h"
#include "runtime/DataDir.h"
#include "runtime/Errors.h"
#include "runtime/Module.h"
#include "runtime/SiteFiles.h"
#include "session/Session.h"

using namespace Qt::StringLiterals;

namespace lunette {

namespace {

QString checkPath(lua_State* L, int arg)
{
    if (lua_type(L, arg) != LUA_TSTRING)
        luaL_typeerror(L, arg, "string");
    return lua::toQString(L, arg);
}

QByteArrayView checkData(lua_State* L, int arg)
{
    size_t len = 0;
    const char* data = luaL_checklstring(L, arg, &len);
    return QByteArrayView(data, static_cast<qsizetype>(len));
}

// The data folder of this state's site; nullopt (nil, err pushed) outside a session.
std::optional<SiteFiles> filesOf(lua_State* L)
{
    Session* session = Session::from(L);
    if (!session) {
        failWith(L, ErrorKind::Internal, u"fs works only inside a site's session"_s);
        return std::nullopt;
    }
    return SiteFiles(siteDataDirectory(session->site()));
}

int fail(lua_State* L, const SiteFiles::Failure& failure)
{
    return failWith(L, failure.kind, failure.message);
}

template <typename T> int done(lua_State* L, const Expected<T, SiteFiles::Failure>& result)
{
    if (!result)
        return fail(L, result.error());
    lua_pushboolean(L, 1);
    return 1;
}

int read(lua_State* L)
{
    const QString path = checkPath(L, 1);
    const auto files = filesOf(L);
    if (!files)
        return 2;
    const auto data = files->read(path);
    if (!data)
        return fail(L, data.error());
    lua::pushBytes(L, *data);
    return 1;
}

int write(lua_State* L)
{
    const QString path = checkPath(L, 1);
    const QByteArrayView data = checkData(L, 2);
    const auto files = filesOf(L);
    if (!files)
        return 2;
    return done(L, files->write(path, data));
}

int append(lua_State* L)
{
    const QString path = checkPath(L, 1);
    const QByteArrayView data = checkData(L, 2);
    const auto files = filesOf(L);
    if (!files)
        return 2;
    return done(L, files->append(path, data));
}

int list(lua_State* L)
{
    const QString path = lua_isnoneornil(L, 1) ? QString() : checkPath(L, 1);
    const auto files = filesOf(L);
    if (!files)
        return 2;
    const auto entries = files->list(path);
    if (!entries)
        return fail(L, entries.error());
    lua_createtable(L, static_cast<int>(entries->size()), 0);
    lua_Integer i = 0;
    for (const SiteFiles::Entry& entry : *entries) {
        lua_createtable(L, 0, 3);
        lua::pushString(L, entry.name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, entry.isDir ? "dir" : "file");
        lua_setfield(L, -2, "type");
        lua_pushinteger(L, static_cast<lua_Integer>(entry.size));
        lua_setfield(L, -2, "size");
        lua_rawseti(L, -2, ++i);
    }
    LuaJson::pushArrayMarker(L); // an empty listing encodes as []
    lua_setmetatable(L, -2);
    return 1;
}

int exists(lua_State* L)
{
    const QString path = checkPath(L, 1);
    const auto files = filesOf(L);
    if (!files)
        return 2;
    const auto found = files->exists(path);
    if (!found)
        return fail(L, found.error());
    lua_pushboolean(L, *found);
    return 1;
}

int remove(lua_State* L)
{
    const QString path = checkPath(L, 1);
    const auto files = filesOf(L);
    if (!files)
        return 2;
    return done(L, files->remove(path));
}

int mkdir(lua_State* L)
{
    const QString path = checkPath(L, 1);
    const auto files = filesOf(L);
    if (!files)
        return 2;
    return done(L, files->mkdir(path));
}

int build(lua_State* L)
{
    static const luaL_Reg functions[] = {
        { "read", read },
        { "write", write },
        { "append", append },
        { "list", list },
        { "exists", exists },
        { "remove", remove },
        { "mkdir", mkdir },
        { nullptr, nullptr },
    };
    luaL_newlib(L, functions);
    return 1;
}

} // namespace

extern const ModuleDef kFsModule {
    "fs",
    "Files inside the site's data folder",
    Capability::Fs,
    build,
    R"lua(---@meta fs
local fs = {}

---@class fs.Entry
---@field name string
---@field type "file"|"dir"
---@field size integer bytes (0 for folders)

---Paths are relative to the site's data folder, with '/'; '..', absolute paths, backslashes and
---links that lead outside are refused (kind "permission_denied").

---The whole file (at most 64 MiB).
---@param path string
---@return string? data
---@return lunette.Error? err
function fs.read(path) end

---Replaces or creates the file atomically (readers see the old or the new content, even after a
---crash); creates the missing parent folders.
---@param path string
---@param data string
---@return true? ok
---@return lunette.Error? err
function fs.write(path, data) end

---Adds data to the end of the file (created when missing, with its parent folders).
---@param path string
---@param data string
---@return true? ok
---@return lunette.Error? err
function fs.append(path, data) end

---The entries of a folder (default: the data folder), sorted by name.
---@param path? string
---@return fs.Entry[]? entries
---@return lunette.Error? err
function fs.list(path) end

---Whether a file or folder exists at path.
---@param path string
---@return boolean? exists
---@return lunette.Error? err
function fs.exists(path) end

---Removes a file or an empty folder.
---@param path string
---@return true? ok
---@return lunette.Error? err
function fs.remove(path) end

---Creates a folder and its missing parents (true when it exists already).
---@param path string
---@return true? ok
---@return lunette.Error? err
function fs.mkdir(path) end

return fs
)lua",
};

} // namespace lunette

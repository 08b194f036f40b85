#pragma once

// Built-in Lua modules (LUA_API.md "Modules", wippy-style ModuleDef): each module is one binding
// file (modules/lua_<name>.cpp, STYLE.md rule 4) that defines a ModuleDef. `require(name)` finds
// built-in modules before the site's own files: the module's capability class must be granted by
// the site (lunette.json "permissions"; deterministic and nondeterministic modules need nothing),
// its build function runs once per lua_State and the export table is read-only.

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <vector>

struct lua_State;
typedef int (*lua_CFunction)(lua_State* L);

namespace lunette {

// Capability classes: the permission a site grants in lunette.json to use a module.
enum class Capability
{
    Deterministic, // pure functions (json): always granted
    Nondeterministic, // clocks, logging (time, log): always granted
    Io,
    Network, // http, websocket, tcp, udp
    Storage, // storage
    Fs, // fs
    Web, // web
};

// "network", "storage", …
QString capabilityName(Capability capability);
// Granted without a permission (deterministic, nondeterministic)?
bool alwaysGranted(Capability capability);

struct ModuleDef
{
    const char* name; // require name: "json"
    const char* description; // one line, for `lunette types` and the docs
    Capability capability;
    // Pushes the module's export table (functions and constants). Runs once per lua_State, in
    // protected mode; may raise errors.  [-0, +1, m]
    lua_CFunction build;
    // LuaLS `---@meta` stub of the module (the type manifest): every exported function is
    // annotated here; a test checks stubs and exports both ways.
    const char* stub;
};

// Every built-in module, sorted by name.
const std::vector<const ModuleDef*>& builtinModules();
const ModuleDef* findBuiltinModule(QByteArrayView name);

// The error `require` raises for a module the site has not been granted.
QString permissionError(const ModuleDef& module);

// Pushes the read-only export table of `module` for this state (built on first use, then
// cached in the registry). Raises when the build fails.  [-0, +1, e]
void pushModule(lua_State* L, const ModuleDef& module);

} // namespace lunette

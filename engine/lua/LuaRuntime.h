#pragma once

// LuaRuntime.h — the helpers every binding file uses for check/push/userdata/metatable work
// (in the spirit of LÖVE's common/runtime.h). Each comment gives the stack effect in the
// reference manual's notation [-o, +p, x]:
//   o = values popped, p = values pushed,
//   x = '-' never raises, 'm' may raise a memory error, 'v' raises on bad arguments,
//       'e' may raise any error.
//
// Errors: with Debian's C++ build of Lua, lua_error unwinds with an exception, so C++ objects on
// the way are destroyed; bindings still validate arguments before constructing anything
// (STYLE.md rule 6) and never let a C++ exception escape into Lua (wrap() below catches them).
// Never write `catch (...)` around code that calls Lua: a Lua error is a C++ exception of Lua's
// private type and would be swallowed.

#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

#include <lua.hpp>

namespace lunette::lua {

// Push a QString as UTF-8.  [-0, +1, m]
void pushString(lua_State* L, QStringView text);
// Push raw bytes as a Lua string.  [-0, +1, m]
inline void pushBytes(lua_State* L, QByteArrayView bytes)
{
    lua_pushlstring(L, bytes.data(), static_cast<size_t>(bytes.size()));
}
// The string (or number, converted) at idx decoded from UTF-8; a null QString otherwise.
// Numbers are converted in place, as lua_tolstring does.  [-0, +0, m]
QString toQString(lua_State* L, int idx);
// Bytes of the string (or number) at idx; empty otherwise.  [-0, +0, m]
QByteArray toBytes(lua_State* L, int idx);
// Argument `arg` as a string; raises "bad argument #arg" otherwise.  [-0, +0, v]
QString checkQString(lua_State* L, int arg);
// Argument `arg` as a string, or `def` when absent or nil.  [-0, +0, v]
QString optQString(lua_State* L, int arg, const QString& def = {});
// luaL_tolstring as a QString (honours __tostring and __name), run as a protected call under
// the watchdog: a failing __tostring gives "(error in __tostring: ...)". The state must be a
// LuaState.  [-0, +0, -]
QString toDisplayString(lua_State* L, int idx);

// Runs impl (a C function with one upvalue, or none) with this call's arguments on the state's
// main thread when it is called from a coroutine, and hands the results (or the error) back.
// For bindings whose C++ side works on the main thread's stack (VariableTree, LuaRef, LuaState::
// load/call): user code runs in task coroutines (runtime/TaskRunner.h).  [-n, +r, e]
int callOnMainThread(lua_State* L, lua_CFunction impl);
template <lua_CFunction impl> int onMainThread(lua_State* L)
{
    return callOnMainThread(L, impl);
}

// A metatable for userdata of type T named `tname`: __index = methods, the given metamethods,
// __gc running ~T (unless T is trivially destructible), __name = tname, and __metatable = false
// so scripts cannot swap it. Created once per state; later calls just push it.  [-0, +1, m]
template <typename T>
void pushMetatable(lua_State* L, const char* tname, const luaL_Reg* methods,
    const luaL_Reg* metamethods = nullptr);

// Construct a T inside a new full userdata with the metatable `tname` (which must exist, see
// pushMetatable). Arguments are validated by the caller first.  [-0, +1, m]
template <typename T, typename... Args>
T* newUserdata(lua_State* L, const char* tname, Args&&... args);

// The T* in the userdata at `arg` of type tname; raises a type error otherwise. Raises
// "attempt to use a closed <tname>" when the object was already destroyed by close().  [-0, +0, v]
template <typename T> T* checkUserdata(lua_State* L, int arg, const char* tname);
// As checkUserdata, but returns nullptr instead of raising.  [-0, +0, -]
template <typename T> T* testUserdata(lua_State* L, int idx, const char* tname);
// Destroy the T in the userdata at idx early (close()/__close); __gc will then skip it.  [-0, +0,
// -]
template <typename T> void destroyUserdata(lua_State* L, int idx);

// Push a read-only view of the table at idx: an empty proxy whose __index is the table and
// whose __newindex raises "attempt to modify read-only table '<name>'".  [-0, +1, m]
void pushReadOnly(lua_State* L, int idx, const char* name);

// Run `body` and turn any escaping C++ exception into a Lua error raised after the try scope
// (STYLE.md rule 6). Use in every lua_CFunction that calls C++ code which may throw.  [-?, +?, e]
template <typename F> int wrap(lua_State* L, F&& body);

// ---------------------------------------------------------------------------------------------
// Implementation details below.

namespace detail {
template <typename T> struct Box
{
    T* object; // points into storage while alive, nullptr after destroy
    alignas(T) unsigned char storage[sizeof(T)];
};

template <typename T> int gc(lua_State* L)
{
    auto* box = static_cast<Box<T>*>(lua_touserdata(L, 1));
    if (box && box->object) {
        box->object->~T();
        box->object = nullptr;
    }
    return 0;
}
int readOnlyNewIndex(lua_State* L);
} // namespace detail

template <typename T>
void pushMetatable(
    lua_State* L, const char* tname, const luaL_Reg* methods, const luaL_Reg* metamethods)
{
    if (luaL_newmetatable(L, tname) == 0)
        return; // already created: it is on the stack
    if (methods) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_setfield(L, -2, "__index");
    }
    if (metamethods)
        luaL_setfuncs(L, metamethods, 0);
    if constexpr (!std::is_trivially_destructible_v<T>) {
        lua_pushcfunction(L, &detail::gc<T>);
        lua_setfield(L, -2, "__gc");
    }
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
}

template <typename T, typename... Args>
T* newUserdata(lua_State* L, const char* tname, Args&&... args)
{
    auto* box = static_cast<detail::Box<T>*>(lua_newuserdatauv(L, sizeof(detail::Box<T>), 0));
    box->object = nullptr;
    luaL_setmetatable(L, tname);
    box->object = new (box->storage) T(std::forward<Args>(args)...);
    return box->object;
}

template <typename T> T* testUserdata(lua_State* L, int idx, const char* tname)
{
    auto* box = static_cast<detail::Box<T>*>(luaL_testudata(L, idx, tname));
    return box ? box->object : nullptr;
}

template <typename T> T* checkUserdata(lua_State* L, int arg, const char* tname)
{
    auto* box = static_cast<detail::Box<T>*>(luaL_checkudata(L, arg, tname));
    if (!box->object)
        luaL_error(L, "attempt to use a closed %s", tname);
    return box->object;
}

template <typename T> void destroyUserdata(lua_State* L, int idx)
{
    auto* box = static_cast<detail::Box<T>*>(lua_touserdata(L, idx));
    if (box && box->object) {
        box->object->~T();
        box->object = nullptr;
    }
}

template <typename F> int wrap(lua_State* L, F&& body)
{
    // Copy the message into a Lua string inside the catch, raise outside it: no C++ exception is
    // active while Lua unwinds.
    bool failed = false;
    int results = 0;
    try {
        results = body();
    } catch (const std::bad_alloc&) {
        lua_pushliteral(L, "not enough memory");
        failed = true;
    } catch (const std::exception& e) {
        lua_pushstring(L, e.what());
        failed = true;
    }
    // No catch (...): with the C++ build of Lua, a Lua error raised inside body() is itself an
    // exception (of Lua's private type) and must pass through untouched.
    if (failed)
        return lua_error(L);
    return results;
}

} // namespace lunette::lua

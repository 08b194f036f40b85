#pragma once

// A bare Lua state for unit tests of code that works on the Lua stack (no executor, no sandbox).

#include <type_traits>

#include <QString>
#include <QtGlobal>

#include <lua.hpp>

#include "lua/Expected.h"

namespace lunette::test {

// A plain state with the standard libraries; every test gets a fresh one.
class LuaFixture
{
public:
    LuaFixture() : m_L(luaL_newstate()) { luaL_openlibs(m_L); }
    ~LuaFixture() { lua_close(m_L); }
    LuaFixture(const LuaFixture&) = delete;
    LuaFixture& operator=(const LuaFixture&) = delete;

    lua_State* L() const { return m_L; }

    // Runs `code` and leaves exactly its first result on the stack; false (nothing pushed) on a
    // Lua error, which is printed.
    bool push(const char* code)
    {
        const int top = lua_gettop(m_L);
        if (luaL_dostring(m_L, code) != LUA_OK) {
            qWarning("Lua error: %s", lua_tostring(m_L, -1));
            lua_settop(m_L, top);
            return false;
        }
        lua_settop(m_L, top + 1);
        return true;
    }

    // Runs `code`, which must return true.
    bool check(const char* code)
    {
        if (!push(code))
            return false;
        const bool ok = lua_toboolean(m_L, -1) != 0;
        lua_pop(m_L, 1);
        return ok;
    }

    // Pushes the value `code` returns, returns `fn(L, -1)` (an Expected with a QString error) and
    // pops the value again. Adds one to `stackMismatches` when `fn` changes the stack top; a Lua
    // error in `code` gives the error "<lua error>".
    template <typename Fn>
    std::invoke_result_t<Fn&, lua_State*, int> convert(
        const char* code, int& stackMismatches, Fn fn)
    {
        if (!push(code))
            return unexpected(QStringLiteral("<lua error>"));
        const int top = lua_gettop(m_L);
        auto result = fn(m_L, -1);
        if (lua_gettop(m_L) != top)
            ++stackMismatches;
        lua_pop(m_L, 1);
        return result;
    }

private:
    lua_State* m_L;
};

} // namespace lunette::test

#pragma once

// RAII check of a function's declared stack effect (STYLE.md rule 8). In debug builds the
// destructor asserts that the stack top moved by exactly `delta`; in release builds it costs
// nothing. With Debian's C++ build of Lua an error unwinds through the guard: it stays silent
// during unwinding because the stack is then Lua's business.

#include <cstdio>
#include <cstdlib>
#include <exception>

#include <lua.hpp>

namespace lunette {

class LuaStackGuard
{
public:
    explicit LuaStackGuard(lua_State* L, int delta = 0)
#ifdef LUNETTE_DEBUG
        : m_L(L)
        , m_expected(lua_gettop(L) + delta)
        , m_exceptions(std::uncaught_exceptions())
#endif
    {
        (void)L;
        (void)delta;
    }
    ~LuaStackGuard()
    {
#ifdef LUNETTE_DEBUG
        if (std::uncaught_exceptions() == m_exceptions && lua_gettop(m_L) != m_expected) {
            std::fprintf(stderr, "LuaStackGuard: stack top is %d, expected %d\n", lua_gettop(m_L),
                         m_expected);
            std::abort();
        }
#endif
    }

    LuaStackGuard(const LuaStackGuard&) = delete;
    LuaStackGuard& operator=(const LuaStackGuard&) = delete;

#ifdef LUNETTE_DEBUG
private:
    lua_State* m_L;
    int m_expected;
    int m_exceptions;
#endif
};

} // namespace lunette

#pragma once

// LuaRef: an RAII registry reference to a Lua value (callbacks, objects kept by C++). Move-only.
// Pushing is only allowed on the state's thread. Releasing may happen anywhere: off the executor
// thread the unref is posted to the executor; if the state is gone by then, nothing happens.

#include <memory>

#include <lua.hpp>

namespace lunette {

class LuaState;
struct LuaStateAnchor;

class LuaRef final
{
public:
    LuaRef() = default;
    // Reference the value at idx (the stack is unchanged).  [-0, +0, m]
    LuaRef(LuaState& state, int idx);
    // Reference and pop the value on top of the stack.  [-1, +0, m]
    static LuaRef pop(LuaState& state);
    ~LuaRef() { reset(); }

    LuaRef(LuaRef&& other) noexcept;
    LuaRef& operator=(LuaRef&& other) noexcept;
    LuaRef(const LuaRef&) = delete;
    LuaRef& operator=(const LuaRef&) = delete;

    bool isValid() const { return m_ref != LUA_NOREF && m_ref != LUA_REFNIL && !m_anchor.expired(); }
    bool isNil() const { return m_ref == LUA_REFNIL; }
    // Push the value (nil when invalid or the state is gone). Executor thread only.  [-0, +1, -]
    void push(lua_State* L) const;
    // Release now (posted to the executor when called from another thread).
    void reset();

private:
    std::weak_ptr<const LuaStateAnchor> m_anchor;
    int m_ref = LUA_NOREF;
};

} // namespace lunette

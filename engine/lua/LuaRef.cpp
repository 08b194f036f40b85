#include "LuaRef.h"

#include <QThread>

#include "LuaExecutor.h"
#include "LuaState.h"

namespace lunette {

LuaRef::LuaRef(LuaState& state, int idx)
    : m_anchor(state.anchor())
{
    lua_State* L = state.state();
    lua_pushvalue(L, idx);
    m_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

LuaRef LuaRef::pop(LuaState& state)
{
    LuaRef ref(state, -1);
    lua_pop(state.state(), 1);
    return ref;
}

LuaRef::LuaRef(LuaRef&& other) noexcept
    : m_anchor(std::move(other.m_anchor))
    , m_ref(other.m_ref)
{
    other.m_ref = LUA_NOREF;
}

LuaRef& LuaRef::operator=(LuaRef&& other) noexcept
{
    if (this != &other) {
        reset();
        m_anchor = std::move(other.m_anchor);
        m_ref = other.m_ref;
        other.m_ref = LUA_NOREF;
    }
    return *this;
}

void LuaRef::push(lua_State* L) const
{
    const auto anchor = m_anchor.lock();
    if (!anchor || m_ref == LUA_NOREF || m_ref == LUA_REFNIL) {
        lua_pushnil(L);
        return;
    }
    Q_ASSERT_X(LuaState::from(L) == LuaState::from(anchor->L), "LuaRef::push",
               "pushed into a different Lua state");
    lua_rawgeti(L, LUA_REGISTRYINDEX, m_ref);
}

void LuaRef::reset()
{
    const int ref = m_ref;
    m_ref = LUA_NOREF;
    auto weak = std::move(m_anchor);
    m_anchor.reset();
    if (ref == LUA_NOREF || ref == LUA_REFNIL)
        return;
    const auto anchor = weak.lock();
    if (!anchor)
        return; // the state is gone, and its registry with it
    if (anchor->thread == QThread::currentThread()) {
        luaL_unref(anchor->L, LUA_REGISTRYINDEX, ref);
        return;
    }
    // Another thread: the registry may only be touched on the state's own thread.
    if (anchor->executor) {
        anchor->executor->post([weak, ref] {
            if (const auto alive = weak.lock())
                luaL_unref(alive->L, LUA_REGISTRYINDEX, ref);
        });
    }
}

} // namespace lunette
